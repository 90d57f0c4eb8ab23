// The palette (category "Fine-tune"). Client ids are finetune-ls.*; the server's own
// commands (finetune.*) are what they call, so the two never clash.
import * as vscode from "vscode";
import { checkFromDisk } from "./bigFiles";
import type { Charts } from "./chart";
import type { Job, JobTracker } from "./jobs";
import { deleteDeployment, deploy, modelOf, pickDeployment } from "./deployments";
import { currentSettings, SECRET_KEY, Server } from "./server";
import { usesEntra } from "./settings";
import { askJobOptions, uploadedWhen } from "./startJob";
import { TrialResult, Trials } from "./trial";
import type { Views } from "./views";

type Item = { id?: string; [field: string]: unknown } | undefined;

export function registerCommands(context: vscode.ExtensionContext, server: Server, tracker: JobTracker, views: Views,
                                 charts: Charts): void {
  const add = (id: string, run: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));

  add("finetune-ls.setApiKey", async () => {
    if (usesEntra(currentSettings())) {
      void vscode.window.showInformationMessage("finetune-ls: no API key is needed: finetune.azureAuth is \"entra\", so calls sign "
        + "in with Microsoft Entra ID (az login, a managed identity or the environment's credentials).");
      return;
    }
    const key = await vscode.window.showInputBox({
      title: "Fine-tune: API key", prompt: "Your OpenAI (or Azure OpenAI) API key, kept in VS Code's secret storage",
      password: true, ignoreFocusOut: true, placeHolder: "sk-...",
    });
    if (!key?.trim()) return;
    await context.secrets.store(SECRET_KEY, key.trim());
    await server.ready();
    await server.sendApiKey();
    void vscode.window.showInformationMessage("finetune-ls: API key saved in VS Code's secret storage.");
    refreshAll(views);
  });
  add("finetune-ls.clearApiKey", async () => {
    await context.secrets.delete(SECRET_KEY);
    await server.sendApiKey();
    void vscode.window.showInformationMessage("finetune-ls: API key forgotten.");
  });
  add("finetune-ls.checkFile", async (uri?: vscode.Uri) => {
    const target = uri ?? (await activeJsonl());
    if (target) await checkFromDisk(server, target);
  });
  add("finetune-ls.upload", async (uri?: vscode.Uri) => {
    const target = uri ?? (await activeJsonl());
    if (!target) return;
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === target.toString());
    if (open?.isDirty) await open.save();
    await upload(target, false);
  });
  /** Uploads the file; when the server reuses the upload of the same content, says so and
   * offers to upload it again. */
  async function upload(target: vscode.Uri, anew: boolean): Promise<void> {
    type Uploaded = { file?: { id: string; filename?: string }; reused?: boolean; uploadedAt?: string; error?: string };
    const result = await server.execute<Uploaded>("finetune.upload", { uri: target.toString(), new: anew });
    if (!result?.file) return;
    const name = result.file.filename ?? target.path;
    views.files.refresh();
    if (!result.reused) {
      void vscode.window.showInformationMessage(`finetune-ls: uploaded ${name} as ${result.file.id}.`);
      return;
    }
    const again = "Upload again";
    const choice = await vscode.window.showInformationMessage(
      `finetune-ls: ${name} is already uploaded as ${result.file.id} (same content, ${uploadedWhen(result.uploadedAt)}).`, again);
    if (choice === again) await upload(target, true);
  }
  add("finetune-ls.startJob", async (uri?: vscode.Uri) => {
    const training = uri ?? (await activeJsonl());
    if (!training) return;
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === training.toString());
    if (open?.isDirty) await open.save();
    const options = await askJobOptions(server, training);
    if (!options) return;
    const result = await server.execute<{ job?: Job; cancelled?: boolean; error?: string }>("finetune.createJob", options);
    if (!result?.job) return;
    tracker.remember([result.job]);
    views.jobs.refresh();
    views.files.refresh();
    void vscode.window.showInformationMessage(`finetune-ls: started ${result.job.id} on ${result.job.model}.`);
    await vscode.commands.executeCommand("finetune.jobs.focus");
    follow(result.job.id);
  });
  add("finetune-ls.showJobs", async () => {
    views.jobs.refresh();
    await vscode.commands.executeCommand("finetune.jobs.focus");
  });
  add("finetune-ls.followJob", async (item?: Item) => {
    const jobId = item?.id ?? (await pickJob(server, "Follow which job?"));
    if (jobId) follow(jobId);
  });
  for (const [action, name] of [["cancel", "cancelJob"], ["pause", "pauseJob"], ["resume", "resumeJob"]] as const) {
    add(`finetune-ls.${name}`, async (item?: Item) => {
      const jobId = item?.id ?? (await pickJob(server, `${action[0].toUpperCase()}${action.slice(1)} which job?`));
      if (!jobId) return;
      const job = await server.execute<Job & { error?: string; cancelled?: boolean }>(`finetune.${name}`, jobId);
      if (job?.status) {
        tracker.remember([job]);
        views.jobs.redraw();
        void vscode.window.showInformationMessage(`finetune-ls: ${jobId} is ${job.status.replace(/_/g, " ")}.`);
      }
    });
  }
  add("finetune-ls.listModels", async () => {
    views.models.refresh();
    await vscode.commands.executeCommand("finetune.models.focus");
  });
  add("finetune-ls.deleteModel", async (item?: Item) => {
    const model = item?.id ?? (await pickModel(server, "Delete which model?"));
    if (!model) return;
    // The server asks for a confirmation naming the model.
    const result = await server.execute<{ deleted?: boolean; cancelled?: boolean }>("finetune.deleteModel", model);
    if (result?.deleted) {
      void vscode.window.showInformationMessage(`finetune-ls: deleted ${model}.`);
      views.models.refresh();
    }
  });
  add("finetune-ls.deleteFile", async (item?: Item) => {
    if (!item?.id) return;
    const result = await server.execute<{ deleted?: boolean }>("finetune.deleteFile", item.id);
    if (result?.deleted) views.files.refresh();
  });
  const trials = new Trials(server.log);
  context.subscriptions.push(trials);
  add("finetune-ls.tryModel", async (item?: Item) => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !editor.document.uri.path.toLowerCase().endsWith(".jsonl")) {
      void vscode.window.showWarningMessage("finetune-ls: open a .jsonl file and put the cursor on an example first.");
      return;
    }
    const model = item?.id ?? (await pickModel(server, "Try which model on this example?"));
    if (!model) return;
    // The answer opens beside the expected one; a failure is the server's error message.
    const result = await server.execute<TrialResult>("finetune.tryModel", editor.document.uri.toString(),
                                                     editor.selection.active.line, model);
    if (result && !result.error) await trials.show(result);
  });
  add("finetune-ls.deploy", async (item?: Item) => {
    server.log.info(`Deploy: ${item ? `from the view item ${item.id}: ${modelOf(item) ?? "no model in it"}` : "from the palette"}`);
    const model = modelOf(item) ?? (await pickModel(server, "Deploy which model?"));
    if (!model) return;
    const deployment = await deploy(server, model);
    if (!deployment) return;
    views.deployments.refresh();
    await vscode.commands.executeCommand("finetune.deployments.focus");
  });
  add("finetune-ls.deleteDeployment", async (item?: Item) => {
    const name = item?.id || (await pickDeployment(server, "Delete which deployment?"));
    if (name && (await deleteDeployment(server, name))) views.deployments.refresh();
  });
  add("finetune-ls.showDeployments", async () => {
    views.deployments.refresh();
    await vscode.commands.executeCommand("finetune.deployments.focus");
  });
  add("finetune-ls.restartServer", async () => {
    const client = await server.restart();
    if (client) void vscode.window.showInformationMessage("finetune-ls: server restarted.");
  });
  add("finetune-ls.showLogs", () => server.log.show());
  add("finetune-ls.refreshViews", () => refreshAll(views));

  function follow(jobId: string): void {
    charts.show(jobId);
    void tracker.follow(jobId).then(() => views.models.refresh());
  }
}

export function refreshAll(views: Views): void {
  views.jobs.refresh();
  views.models.refresh();
  views.files.refresh();
  views.deployments.refresh();
}

async function activeJsonl(): Promise<vscode.Uri | undefined> {
  const uri = vscode.window.activeTextEditor?.document.uri;
  if (uri && uri.path.toLowerCase().endsWith(".jsonl")) return uri;
  const files = await vscode.workspace.findFiles("**/*.jsonl", "**/node_modules/**", 200);
  const chosen = await vscode.window.showQuickPick(files.map((file) => ({ label: vscode.workspace.asRelativePath(file), uri: file })),
    { placeHolder: "Which .jsonl file?" });
  return chosen?.uri;
}

async function pickJob(server: Server, title: string): Promise<string | undefined> {
  const jobs = await server.execute<Job[] | { error: string }>("finetune.listJobs");
  if (!Array.isArray(jobs)) return undefined;
  const chosen = await vscode.window.showQuickPick(jobs.map((job) => ({ label: job.id, description: `${job.status} · ${job.model ?? ""}` })),
    { placeHolder: title });
  return chosen?.label;
}

async function pickModel(server: Server, title: string): Promise<string | undefined> {
  const models = await server.execute<{ id: string; base?: string }[] | { error: string }>("finetune.listModels");
  if (!Array.isArray(models)) return undefined;
  if (models.length === 0) {
    void vscode.window.showInformationMessage("finetune-ls: this account has no fine-tuned models yet.");
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(models.map((model) => ({ label: model.id, description: model.base })),
    { placeHolder: title });
  return chosen?.label;
}
