// Start Job: a multi-step quick pick (model, method, epochs, suffix, validation file); the
// server then shows the cost estimate and asks for a confirmation before making the job.
import * as vscode from "vscode";
import type { Server } from "./server";

const METHODS = [
  { label: "supervised", detail: "Supervised fine-tuning on chat examples" },
  { label: "dpo", detail: "Direct preference optimisation on preferred / non-preferred pairs" },
  { label: "reinforcement", detail: "Reinforcement fine-tuning with a grader" },
];
const EPOCHS = ["auto", "1", "2", "3", "4", "5", "8", "10"];

export interface JobOptions {
  trainingFile: string;
  model: string;
  method: string;
  hyperparameters: Record<string, number>;
  suffix?: string;
  validationFile?: string;
}

async function pick(step: number, title: string, items: vscode.QuickPickItem[], placeholder: string): Promise<string | undefined> {
  const chosen = await vscode.window.showQuickPick(items, {
    title: `Start fine-tuning job (${step}/5): ${title}`, placeHolder: placeholder, ignoreFocusOut: true,
  });
  return chosen?.label;
}

/** Asks for everything; undefined when the user gives up on a step. */
export async function askJobOptions(server: Server, training: vscode.Uri): Promise<JobOptions | undefined> {
  const trainable = await server.execute<{ models: string[]; note?: string }>("finetune.trainableModels", { format: "chat" });
  const preferred = vscode.workspace.getConfiguration("finetune").get<string | null>("model");
  const models = [...new Set([...(preferred ? [preferred] : []), ...(trainable?.models ?? [])])];
  const model = await pick(1, "model", models.map((id) => ({ label: id, description: id === preferred ? "finetune.model" : undefined })),
    trainable?.note ?? "The base model to fine-tune");
  if (!model) return undefined;
  const method = await pick(2, "method", METHODS, "The fine-tuning method");
  if (!method) return undefined;
  const epochs = await pick(3, "epochs", EPOCHS.map((label) => ({ label })), "Epochs (auto: the API picks from the file's size)");
  if (!epochs) return undefined;
  const suffix = await vscode.window.showInputBox({
    title: "Start fine-tuning job (4/5): suffix", prompt: "A suffix for the model's name (optional, up to 64 characters)",
    ignoreFocusOut: true, validateInput: (value) => (value.length > 64 ? "At most 64 characters." : undefined),
  });
  if (suffix === undefined) return undefined;
  const candidates = (await vscode.workspace.findFiles("**/*.jsonl", "**/node_modules/**", 200))
    .filter((uri) => uri.toString() !== training.toString());
  const none = "(no validation file)";
  const validation = await pick(5, "validation file",
    [{ label: none }, ...candidates.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), description: uri.fsPath }))],
    "A validation file, checked and uploaded first");
  if (!validation) return undefined;
  const validationUri = candidates.find((uri) => vscode.workspace.asRelativePath(uri) === validation);
  return {
    trainingFile: training.toString(), model, method,
    hyperparameters: epochs === "auto" ? {} : { n_epochs: Number(epochs) },
    suffix: suffix.trim() || undefined, validationFile: validationUri?.fsPath,
  };
}
