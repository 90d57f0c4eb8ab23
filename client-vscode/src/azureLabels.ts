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

/** The Deployments view's description of a deployment: "model · SKU · state · $X/hour". */
export function deploymentDescription(deployment: Deployment): string {
  return [deployment.model, deployment.sku, deployment.state?.toLowerCase(),
          typeof deployment.hourlyUsd === "number" ? hourly(deployment.hourlyUsd) : undefined]
    .filter(Boolean).join(" · ");
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

/** A deployment name from a model's: Azure allows letters, digits, "-", "_" and "." (up to 64). */
export function defaultDeploymentName(model: string): string {
  const base = model.replace(/^ft:/, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-._]+|[-._]+$/g, "");
  return (base || "deployment").slice(0, 64).replace(/[-._]+$/, "");
}
