// Azure deployments: the Deployments view (finetune.deployments.list), Deploy (a SKU from
// finetune.deployments.skus, a name, then finetune.deployments.create) and Delete. The
// server asks for the confirmations (naming the hourly cost) and shows the progress.
import * as vscode from "vscode";
import { defaultDeploymentName, Deployment, deploymentDescription, deploymentTooltip, hourly, Sku, skuRow } from "./azureLabels";
import { Listed, ListView } from "./listView";
import type { Server } from "./server";

type Item = Record<string, unknown> | undefined;

export class DeploymentsView extends ListView {
  constructor(server: Server) {
    super(server, "finetune.deployments.list");
  }

  protected unwrap(result: unknown): Listed[] | { error: string } | undefined {
    if (!result || typeof result !== "object") return undefined;
    const answer = result as { deployments?: Deployment[]; offline?: boolean; error?: string };
    if (typeof answer.error === "string") return { error: answer.error };
    return (answer.deployments ?? []).map((deployment) => ({ ...deployment, id: deployment.name, offline: answer.offline }));
  }

  protected item(element: Listed): vscode.TreeItem {
    const deployment = element as unknown as Deployment & { offline?: boolean };
    const item = new vscode.TreeItem(deployment.name);
    item.id = deployment.name;
    item.description = deploymentDescription(deployment) + (deployment.offline ? " · offline" : "");
    item.tooltip = deploymentTooltip(deployment);
    item.contextValue = "deployment";
    const state = (deployment.state ?? "").toLowerCase();
    item.iconPath = new vscode.ThemeIcon(state === "succeeded" ? "cloud" : state === "failed" ? "error"
      : state === "deleting" ? "trash" : "sync~spin");
    return item;
  }
}

/** What a Jobs or Models view item deploys: a checkpoint (Azure deploys it by its id,
 * ftchkpt-…), a job's fine-tuned model, or a model. */
export function modelOf(item: Item): string | undefined {
  const value = item?.checkpoint ? item.id : item?.fine_tuned_model ?? (item?.status === undefined ? item?.id : undefined);
  return typeof value === "string" && value ? value : undefined;
}

/** Deploy a model: its SKU and name asked here; the server confirms the hourly cost. */
export async function deploy(server: Server, model: string): Promise<Deployment | undefined> {
  const answer = await server.execute<{ skus?: Sku[]; error?: string }>("finetune.deployments.skus");
  if (!answer?.skus) return undefined; // the server has shown why
  const chosen = await vscode.window.showQuickPick(answer.skus.map(skuRow), {
    title: `Deploy ${model} (1/2): SKU`, placeHolder: "Where it runs, and what it costs while it exists", ignoreFocusOut: true,
  });
  if (!chosen) return undefined;
  const name = await vscode.window.showInputBox({
    title: `Deploy ${model} (2/2): name`, prompt: "The deployment's name (requests name it as their model)",
    value: defaultDeploymentName(model), ignoreFocusOut: true,
    validateInput: (value) => (!value.trim() ? "A name is needed." : value.trim().length > 64 ? "At most 64 characters." : undefined),
  });
  if (name === undefined) return undefined;
  const result = await server.execute<{ deployment?: Deployment; cancelled?: boolean; error?: string }>(
    "finetune.deployments.create", { model, name: name.trim(), sku: chosen.label });
  const deployment = result?.deployment;
  if (deployment) {
    void vscode.window.showInformationMessage(
      `finetune-ls: deployed ${model} as ${deployment.name} (${deployment.sku ?? chosen.label}, ${hourly(deployment.hourlyUsd)} until it is deleted).`);
  }
  return deployment;
}

/** Delete a deployment: the server asks first, naming its hourly cost. */
export async function deleteDeployment(server: Server, name: string): Promise<boolean> {
  const result = await server.execute<{ name?: string; deleted?: boolean; cancelled?: boolean; error?: string }>(
    "finetune.deployments.delete", { name });
  if (result?.deleted) void vscode.window.showInformationMessage(`finetune-ls: deleted the deployment ${name}.`);
  return Boolean(result?.deleted);
}

/** A deployment chosen from the list (for the palette, where no view item is given). */
export async function pickDeployment(server: Server, title: string): Promise<string | undefined> {
  const answer = await server.execute<{ deployments?: Deployment[] }>("finetune.deployments.list");
  const deployments = answer?.deployments ?? [];
  if (answer?.deployments && deployments.length === 0) {
    void vscode.window.showInformationMessage("finetune-ls: there are no deployments.");
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(
    deployments.map((deployment) => ({ label: deployment.name, description: deploymentDescription(deployment) })), { placeHolder: title });
  return chosen?.label;
}
