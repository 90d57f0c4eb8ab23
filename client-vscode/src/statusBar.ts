// Status bar: the active file's summary (examples · tokens · est. cost) from the server's
// finetune/summary request, and the followed job's progress. Clicking opens the matching view.
import * as vscode from "vscode";
import type { JobTracker } from "./jobs";
import { ACTIVE_STATUSES, jobProgress, Summary, summaryText } from "./labels";
import type { Server } from "./server";

export class StatusBar implements vscode.Disposable {
  private readonly file = vscode.window.createStatusBarItem("finetune.summary", vscode.StatusBarAlignment.Right, 100);
  private readonly job = vscode.window.createStatusBarItem("finetune.job", vscode.StatusBarAlignment.Right, 99);
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly server: Server, private readonly tracker: JobTracker) {
    this.file.name = "Fine-tune: file summary";
    this.file.command = "workbench.view.extension.finetune";
    this.job.name = "Fine-tune: job";
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.soon(0)),
      vscode.languages.onDidChangeDiagnostics((event) => {
        const active = vscode.window.activeTextEditor?.document.uri.toString();
        if (event.uris.some((uri) => uri.toString() === active)) this.soon(300);
      }),
      server.onDidStart(() => this.soon(500)),
      tracker.onDidChange((jobId) => this.showJob(jobId)),
    );
    this.soon(0);
  }

  private soon(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.showFile(), delay);
  }

  private async showFile(): Promise<void> {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !document.uri.path.toLowerCase().endsWith(".jsonl") || !this.server.client) {
      this.file.hide();
      return;
    }
    const summary = await this.server.client.sendRequest<Summary | null>("finetune/summary", { uri: document.uri.toString() })
      .catch(() => null);
    if (!summary) {
      this.file.hide();
      return;
    }
    this.file.text = `$(pulse) ${summaryText(summary)}`;
    this.file.tooltip = summary.line ? `${summary.line}\nClick for the Fine-tuning views.` : undefined;
    this.file.show();
  }

  private showJob(jobId: string): void {
    const job = this.tracker.jobs.get(jobId);
    if (!job) return;
    const metrics = this.tracker.metrics.get(jobId);
    const icon = ACTIVE_STATUSES.has(job.status) ? "$(sync~spin)" : job.status === "succeeded" ? "$(pass)" : "$(info)";
    this.job.text = `${icon} ${jobId} ${jobProgress(job.status, metrics?.latest()?.step, metrics?.totalSteps)}`;
    this.job.tooltip = `Fine-tuning job ${jobId}: ${job.status}. Click for its training chart.`;
    this.job.command = { command: "finetune-ls.followJob", title: "Show chart", arguments: [{ id: jobId }] };
    this.job.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.file.dispose();
    this.job.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
