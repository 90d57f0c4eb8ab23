// Short texts for Azure's training types, deployment SKUs and deployments, from what the
// server's commands return. Pure: no vscode import.

export interface TrainingType {
  name: string;
  pricePer1m?: number | null;
  regions?: string[];
  note?: string;
}

export interface Sku {
  name: string;
  hourlyUsd?: number | null;
  lifetimeHours?: number | null;
  inactiveDeleteDays?: number | null;
  note?: string;
}

export interface Deployment {
  name: string;
  model?: string;
  sku?: string;
  capacity?: number | null;
  state?: string;
  hourlyUsd?: number | null;
  expires?: string | null;
  source?: string;
}

export function dollars(value: number): string {
  if (value === 0) return "$0";
  return value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`;
}

const REGIONS_SHOWN = 4;

/** A training type as a quick pick row: "$X per 1M tokens", then its regions and note. */
export function trainingTypeRow(type: TrainingType): { label: string; description: string; detail?: string } {
  const price = typeof type.pricePer1m === "number" ? `${dollars(type.pricePer1m)} per 1M training tokens` : "price not known";
  const regions = type.regions ?? [];
  const shown = regions.slice(0, REGIONS_SHOWN).join(", ") + (regions.length > REGIONS_SHOWN ? ` and ${regions.length - REGIONS_SHOWN} more` : "");
  const detail = [regions.length ? `regions: ${shown}` : "", type.note ?? ""].filter(Boolean).join(" · ");
  return { label: type.name, description: price, detail: detail || undefined };
}

/** "$1.70/hour" or "hourly cost not known". */
export function hourly(value: number | null | undefined): string {
  return typeof value === "number" ? `${dollars(value)}/hour` : "hourly cost not known";
}

/** A SKU as a quick pick row: its hourly cost and how long it lives. */
export function skuRow(sku: Sku): { label: string; description: string; detail?: string } {
  const lifetime = typeof sku.lifetimeHours === "number" ? `deleted after ${sku.lifetimeHours} h`
    : typeof sku.inactiveDeleteDays === "number" ? `deleted after ${sku.inactiveDeleteDays} days unused` : "";
  return { label: sku.name, description: [hourly(sku.hourlyUsd), lifetime].filter(Boolean).join(" · "), detail: sku.note || undefined };
}

/** The Deployments view's description of a deployment, what a narrow side bar should still
 * show first: "state · $X/hour · SKU · model". */
export function deploymentDescription(deployment: Deployment): string {
  return [deployment.state?.toLowerCase(), typeof deployment.hourlyUsd === "number" ? hourly(deployment.hourlyUsd) : undefined,
          deployment.sku, deployment.model].filter(Boolean).join(" · ");
}

/** A deployment's tooltip, one fact a line. */
export function deploymentTooltip(deployment: Deployment): string {
  const lines = [`${deployment.name}`, `model: ${deployment.model ?? "?"}`,
    `SKU: ${deployment.sku ?? "?"}${typeof deployment.capacity === "number" ? ` (capacity ${deployment.capacity})` : ""}`,
    `state: ${deployment.state ?? "?"}`, `cost: ${hourly(deployment.hourlyUsd)} while it exists`];
  if (deployment.expires) lines.push(`deleted by Azure at ${deployment.expires}`);
  if (deployment.source === "ledger") lines.push("from this workspace's ledger (Azure was not asked)");
  return lines.join("\n");
}

/** The deployment name the server would pick for a model (api/deployments.py default_name):
 * letters, digits, "-" and "_", at most 64, keeping the id's unique end
 * (gpt-4.1-mini-2025-04-14.ft-0a1b… -> gpt-4.1-mini-2025-04-14-ft-0a1b2c3d4e5f). */
export function defaultDeploymentName(model: string): string {
  const at = model.indexOf(".ft-");
  let short = model;
  if (at >= 0) short = `${model.slice(0, at)}-ft-${model.slice(at + 4, at + 16)}`;
  else if (model.startsWith("ftchkpt-")) short = model.slice(0, 20);
  const name = short.replace(/\./g, "-").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-_]+|[-_]+$/g, "") || "fine-tuned";
  return name.length <= 64 ? name : `${name.slice(0, 20)}-${name.slice(-43)}`;
}
