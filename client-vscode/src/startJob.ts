// Start Job: a multi-step quick pick (the training file when it was uploaded before, model,
// on Azure its training type, method, epochs, suffix, validation file); the server then
// shows the cost estimate and asks for a confirmation before making the job.
import * as vscode from "vscode";
import { TrainingType, trainingTypeRow } from "./azureLabels";
import type { Server } from "./server";

const METHODS = [
  { label: "supervised", detail: "Supervised fine-tuning on chat examples" },
  { label: "dpo", detail: "Direct preference optimisation on preferred / non-preferred pairs" },
  { label: "reinforcement", detail: "Reinforcement fine-tuning with a grader" },
];
const EPOCHS = ["auto", "1", "2", "3", "4", "5", "8", "10"];

export interface JobOptions {
  trainingFile: string; // a file id, or the document's URI (uploaded first)
  newUpload?: boolean; // upload the document again rather than train on its uploaded copy
  model: string;
  method: string;
  hyperparameters: Record<string, number>;
  suffix?: string;
  validationFile?: string;
  trainingType?: string; // Azure: Standard, GlobalStandard or Developer
}

/** The training types Azure offers for a model (none when the catalog knows of none: then
 * the step is left out and Azure picks). */
async function trainingTypes(server: Server, model: string): Promise<{ types: TrainingType[]; note?: string }> {
  // A server without the command (an older finetune.server.path install): no step, Azure picks.
  const answer = await server.execute<{ trainingTypes?: TrainingType[]; note?: string }>("finetune.trainingTypes", { model })
    .catch(() => undefined);
  return { types: answer?.trainingTypes ?? [], note: answer?.note };
}

/** The file uploaded before with the same content as the document (saved), that the API
 * still has; undefined when there is none (or the server is older than the command). */
export interface UploadedCopy { id: string; filename?: string; bytes?: number; uploadedAt?: string }

async function uploadedCopy(server: Server, training: vscode.Uri): Promise<UploadedCopy | undefined> {
  const answer = await server.execute<UploadedCopy | null>("finetune.uploadedCopy", { uri: training.toString() })
    .catch(() => undefined);
  return answer?.id ? answer : undefined;
}

/** The ledger's time (UTC, ISO 8601) as people read it: "2026-12-04 16:33 UTC". */
export function uploadedWhen(time: string | undefined): string {
  return time ? time.replace("T", " ").replace(/:\d\dZ$/, " UTC") : "before";
}

/** Asks for everything; undefined when the user gives up on a step. */
export async function askJobOptions(server: Server, training: vscode.Uri): Promise<JobOptions | undefined> {
  const azure = vscode.workspace.getConfiguration("finetune").get<string>("provider") === "azure";
  const copy = await uploadedCopy(server, training);
  const first = copy ? 1 : 0; // the training file's step comes first when there is a copy to choose
  let steps = azure ? 6 : 5; // Azure asks for a training type too
  const title = (step: number, name: string) => `Start fine-tuning job (${step + first}/${steps + first}): ${name}`;
  const pick = async (step: number, name: string, items: vscode.QuickPickItem[], placeholder: string) => {
    const chosen = await vscode.window.showQuickPick(items, { title: title(step, name), placeHolder: placeholder,
                                                              ignoreFocusOut: true });
    return chosen?.label;
  };
  // The document's URI either way: the server trains on the same uploaded copy (found by the
  // content's hash), and checks and prices the document itself, not whatever file the copy was
  // first uploaded from.
  const trainingFile = training.toString();
  let newUpload = false;
  if (copy) {
    const name = training.path.split("/").pop() ?? training.path;
    const again = `Upload ${name} again`;
    const chosen = await vscode.window.showQuickPick(
      [{ label: copy.id, description: `uploaded ${uploadedWhen(copy.uploadedAt)} · same content as ${name}` },
       { label: again, description: "a new file on the server" }],
      { title: `Start fine-tuning job (1/${steps + first}): training file`, ignoreFocusOut: true,
        placeHolder: `${name} is uploaded already: train on that file, or upload it again` });
    if (!chosen) return undefined;
    newUpload = chosen.label === again;
  }
  const trainable = await server.execute<{ models: string[]; note?: string }>("finetune.trainableModels", { format: "chat" });
  const preferred = vscode.workspace.getConfiguration("finetune").get<string | null>("model");
  const models = [...new Set([...(preferred ? [preferred] : []), ...(trainable?.models ?? [])])];
  const model = await pick(1, "model", models.map((id) => ({ label: id, description: id === preferred ? "finetune.model" : undefined })),
    trainable?.note ?? "The base model to fine-tune");
  if (!model) return undefined;
  const offered = azure ? await trainingTypes(server, model) : { types: [] };
  let trainingType: string | undefined;
  steps = offered.types.length ? 6 : 5;
  if (offered.types.length) {
    const preferredType = vscode.workspace.getConfiguration("finetune").get<string | null>("trainingType");
    const rows = offered.types.map(trainingTypeRow)
      .map((row) => (row.label === preferredType ? { ...row, description: `${row.description} · finetune.trainingType` } : row))
      .sort((a, b) => Number(b.label === preferredType) - Number(a.label === preferredType));
    trainingType = await pick(2, "training type", rows, offered.note || "Where Azure trains the model, and its price");
    if (!trainingType) return undefined;
  }
  const next = steps - 5; // the steps after the model come one later when a training type was asked
  const method = await pick(2 + next, "method", METHODS, "The fine-tuning method");
  if (!method) return undefined;
  const epochs = await pick(3 + next, "epochs", EPOCHS.map((label) => ({ label })), "Epochs (auto: the API picks from the file's size)");
  if (!epochs) return undefined;
  const suffix = await vscode.window.showInputBox({
    title: title(4 + next, "suffix"), prompt: "A suffix for the model's name (optional, up to 64 characters)",
    ignoreFocusOut: true, validateInput: (value) => (value.length > 64 ? "At most 64 characters." : undefined),
  });
  if (suffix === undefined) return undefined;
  const candidates = (await vscode.workspace.findFiles("**/*.jsonl", "**/node_modules/**", 200))
    .filter((uri) => uri.toString() !== training.toString());
  const none = "(no validation file)";
  const validation = await pick(5 + next, "validation file",
    [{ label: none }, ...candidates.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), description: uri.fsPath }))],
    "A validation file, checked and uploaded first");
  if (!validation) return undefined;
  const validationUri = candidates.find((uri) => vscode.workspace.asRelativePath(uri) === validation);
  return {
    trainingFile, ...(newUpload ? { newUpload } : {}), model, method,
    hyperparameters: epochs === "auto" ? {} : { n_epochs: Number(epochs) },
    suffix: suffix.trim() || undefined, validationFile: validationUri?.fsPath, ...(trainingType ? { trainingType } : {}),
  };
}
