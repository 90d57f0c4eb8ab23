// Try Model's answer beside the expected one: a read-only diff editor (expected left, the
// model's answer right) from documents under the finetune-trial: scheme, titled with the
// line, the model, the tokens and the cost. Each trial gets its own pair of URIs, so two
// trials stay open side by side. The client says it shows trials itself (the experimental
// client capability below), so the server sends no message with the answer; errors still
// come as the server's error message.
import * as vscode from "vscode";
import type { ClientCapabilities, StaticFeature } from "vscode-languageclient/node";

export const TRIAL_SCHEME = "finetune-trial";
const KEPT = 50; // trials whose texts stay readable (a reopened tab reads them again)

/** What finetune.tryModel answers (server/finetune_ls/lsp/commands/operations.py try_model). */
export interface TrialResult {
  model: string;
  line: number; // 1-based
  expected: string | null;
  answer: string | null;
  expected_tool_calls?: unknown[] | null;
  answer_tool_calls?: unknown[] | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost: number | null;
  cost_note?: string | null;
  error?: string;
}

/** Tells the server this client shows trials (so it sends no message with the answer). */
export const showsTrialsFeature: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = (capabilities.experimental ??= {}) as Record<string, unknown>;
    experimental.finetune = { ...(experimental.finetune as object | undefined), showsTrials: true };
  },
  getState: () => ({ kind: "static" }),
  initialize: () => undefined,
  clear: () => undefined,
};

/** One side as a person reads it: the text, then the tool calls as indented JSON. */
export function sideText(text: string | null, toolCalls: unknown[] | null | undefined): string {
  const parts = text ? [text] : [];
  if (toolCalls?.length) parts.push(JSON.stringify(toolCalls, null, 2));
  return parts.length ? parts.join("\n\n") : "(nothing)";
}

/** A fine-tuned id shortened for a tab title: ft:gpt-4o-mini-2024-07-18:org::abc -> ft:…:abc. */
export function shortModel(model: string): string {
  const parts = model.split(":");
  return model.startsWith("ft:") && parts.length > 2 ? `ft:…:${parts[parts.length - 1]}` : model;
}

export function costText(cost: number | null): string {
  if (cost === null) return "cost unknown";
  return cost >= 1 ? `$${cost.toFixed(2)}` : `$${Number(cost.toPrecision(2))}`;
}

export function trialTitle(result: TrialResult): string {
  const tokens = `${result.prompt_tokens ?? "?"} in / ${result.completion_tokens ?? "?"} out`;
  return `Line ${result.line} · expected ↔ ${shortModel(result.model)} · ${tokens} · ${costText(result.cost)}`;
}

export class Trials implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private count = 0;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(TRIAL_SCHEME, this);

  constructor(private readonly log: vscode.LogOutputChannel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "";
  }

  async show(result: TrialResult): Promise<void> {
    this.count += 1;
    const left = this.keep(`/${this.count}/expected (line ${result.line})`, sideText(result.expected, result.expected_tool_calls));
    const right = this.keep(`/${this.count}/${result.model}`, sideText(result.answer, result.answer_tool_calls));
    const title = trialTitle(result);
    this.log.info(`Try Model: ${title}${result.cost_note ? ` (${result.cost_note})` : ""}`);
    if (result.cost_note) vscode.window.setStatusBarMessage(`finetune-ls: ${result.cost_note}`, 15_000);
    await vscode.commands.executeCommand("vscode.diff", left, right, title, { preview: false });
  }

  private keep(path: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: TRIAL_SCHEME, path });
    this.texts.set(uri.toString(), text);
    while (this.texts.size > KEPT * 2) this.texts.delete(this.texts.keys().next().value as string);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
  }
}
