// The "Fine-tuning" view container: Jobs (live while followed), Models, Files and (Azure)
// Deployments, each listed by the server's commands.
import * as vscode from "vscode";
import type { JobTracker, Job } from "./jobs";
import { jobContext, jobProgress } from "./labels";
import type { Server } from "./server";
import { DeploymentsView } from "./deployments";
import { Listed, ListView } from "./listView";

export class JobsView extends ListView {
  constructor(server: Server, private readonly tracker: JobTracker) {
    super(server, "finetune.listJobs");
    tracker.onDidChange(() => this.redraw());
  }

  protected loaded(items: Listed[]): void {
    this.tracker.remember(items as unknown as Job[]);
  }

  async getChildren(element?: Listed): Promise<Listed[]> {
    const listed = await super.getChildren(element);
    if (element || this.error || listed.some((item) => item.needsKey)) return listed;
    // Jobs started or followed since the list was fetched come first.
    const known = new Set(listed.map((item) => item.id));
    const extra = [...this.tracker.jobs.values()].filter((job) => !known.has(job.id)) as unknown as Listed[];
    return [...extra, ...listed].map((item) => ({ ...item, ...(this.tracker.jobs.get(item.id) ?? {}) }));
  }

  protected item(element: Listed): vscode.TreeItem {
    const job = element as unknown as Job;
    const latest = this.tracker.metrics.get(job.id)?.latest();
    const total = this.tracker.metrics.get(job.id)?.totalSteps;
    const item = new vscode.TreeItem(job.id);
    item.id = job.id;
    item.description = `${jobProgress(job.status, latest?.step, total)} · ${job.fine_tuned_model ?? job.model ?? ""}`;
    item.tooltip = new vscode.MarkdownString(`**${job.id}**\n\nstatus: ${job.status}\n\nmodel: ${job.model ?? "?"}` +
      (job.fine_tuned_model ? `\n\nfine-tuned model: \`${job.fine_tuned_model}\`` : ""));
    item.contextValue = jobContext(job.status);
    item.iconPath = new vscode.ThemeIcon(job.status === "succeeded" ? "pass" : job.status === "failed" ? "error"
      : job.status === "running" ? "sync~spin" : job.status === "cancelled" ? "circle-slash" : "clock");
    item.command = { command: "finetune-ls.followJob", title: "Show chart", arguments: [element] };
    return item;
  }
}

export class ModelsView extends ListView {
  constructor(server: Server, private readonly tracker: JobTracker) {
    super(server, "finetune.listModels");
  }

  /** On Azure a model opens onto its job's checkpoints (each can be deployed). */
  async getChildren(element?: Listed): Promise<Listed[]> {
    if (!element) return super.getChildren();
    if (element.checkpoint) return [];
    const jobId = await this.jobOf(element.id);
    if (!jobId) return [];
    const result = await this.server.execute<Listed[] | { error: string }>("finetune.jobCheckpoints", jobId).catch(() => undefined);
    return Array.isArray(result) ? result.map((checkpoint) => ({ ...checkpoint, checkpoint: true })) : [];
  }

  private async jobOf(model: string): Promise<string | undefined> {
    const find = () => [...this.tracker.jobs.values()].find((job) => job.fine_tuned_model === model)?.id;
    if (find()) return find();
    const jobs = await this.server.execute<Job[] | { error: string }>("finetune.listJobs");
    if (Array.isArray(jobs)) this.tracker.remember(jobs);
    return find();
  }

  protected item(element: Listed): vscode.TreeItem {
    if (element.checkpoint) return checkpointItem(element);
    const item = new vscode.TreeItem(element.id);
    item.id = element.id;
    const base = element.base ?? element.base_model ?? element.owned_by;
    item.description = typeof base === "string" ? base : undefined;
    item.tooltip = JSON.stringify(element, null, 2);
    item.contextValue = "model";
    item.iconPath = new vscode.ThemeIcon("hubot");
    if (vscode.workspace.getConfiguration("finetune").get<string>("provider") === "azure") {
      item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
    }
    return item;
  }
}

/** A checkpoint under its model: its id (what Azure deploys), its step and training loss. */
function checkpointItem(element: Listed): vscode.TreeItem {
  const item = new vscode.TreeItem(element.id);
  item.id = element.id;
  const metrics = (element.metrics ?? {}) as Record<string, unknown>;
  const loss = typeof metrics.train_loss === "number" ? `train loss ${metrics.train_loss.toFixed(3)}` : undefined;
  item.description = [typeof element.step_number === "number" ? `step ${element.step_number}` : undefined, loss]
    .filter(Boolean).join(" · ");
  item.tooltip = JSON.stringify(element, null, 2);
  item.contextValue = "checkpoint";
  item.iconPath = new vscode.ThemeIcon("debug-breakpoint-log");
  return item;
}

export class FilesView extends ListView {
  constructor(server: Server) {
    super(server, "finetune.listFiles");
  }

  protected item(element: Listed): vscode.TreeItem {
    const item = new vscode.TreeItem(String(element.filename ?? element.id));
    item.id = element.id;
    const bytes = typeof element.bytes === "number" ? `${(element.bytes / 1024).toFixed(1)} KB` : "";
    item.description = [element.id, bytes, element.status].filter(Boolean).join(" · ");
    item.tooltip = JSON.stringify(element, null, 2);
    item.contextValue = "file";
    item.iconPath = new vscode.ThemeIcon("file");
    return item;
  }
}

export interface Views {
  jobs: JobsView;
  models: ModelsView;
  files: FilesView;
  deployments: DeploymentsView;
}

export function registerViews(server: Server, tracker: JobTracker): { views: Views; disposables: vscode.Disposable[] } {
  const views = { jobs: new JobsView(server, tracker), models: new ModelsView(server, tracker), files: new FilesView(server),
                  deployments: new DeploymentsView(server) };
  const disposables = [
    vscode.window.registerTreeDataProvider("finetune.deployments", views.deployments),
    vscode.window.registerTreeDataProvider("finetune.jobs", views.jobs),
    vscode.window.registerTreeDataProvider("finetune.models", views.models),
    vscode.window.registerTreeDataProvider("finetune.files", views.files),
  ];
  return { views, disposables };
}
