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
  constructor(server: Server) {
    super(server, "finetune.listModels");
  }

  protected item(element: Listed): vscode.TreeItem {
    const item = new vscode.TreeItem(element.id);
    item.id = element.id;
    const base = element.base ?? element.base_model ?? element.owned_by;
    item.description = typeof base === "string" ? base : undefined;
    item.tooltip = JSON.stringify(element, null, 2);
    item.contextValue = "model";
    item.iconPath = new vscode.ThemeIcon("hubot");
    return item;
  }
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
  const views = { jobs: new JobsView(server, tracker), models: new ModelsView(server), files: new FilesView(server),
                  deployments: new DeploymentsView(server) };
  const disposables = [
    vscode.window.registerTreeDataProvider("finetune.deployments", views.deployments),
    vscode.window.registerTreeDataProvider("finetune.jobs", views.jobs),
    vscode.window.registerTreeDataProvider("finetune.models", views.models),
    vscode.window.registerTreeDataProvider("finetune.files", views.files),
  ];
  return { views, disposables };
}
