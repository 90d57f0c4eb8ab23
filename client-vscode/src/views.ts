// The "Fine-tuning" view container: Jobs (live while followed), Models and Files, each
// listed by the server's commands.
import * as vscode from "vscode";
import type { JobTracker, Job } from "./jobs";
import { jobContext, jobProgress } from "./labels";
import type { Server } from "./server";

type Listed = Record<string, unknown> & { id: string };

abstract class ListView implements vscode.TreeDataProvider<Listed> {
  private readonly changed = new vscode.EventEmitter<Listed | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  protected items: Listed[] | undefined;
  protected error: string | undefined;

  constructor(protected readonly server: Server, private readonly command: string) {}

  refresh(): void {
    this.items = undefined;
    this.changed.fire(undefined);
  }

  redraw(): void {
    this.changed.fire(undefined);
  }

  async getChildren(element?: Listed): Promise<Listed[]> {
    if (element) return [];
    if (this.items === undefined && !(await this.server.hasKey())) {
      return [{ id: "", needsKey: true }]; // no call (and no error message) before there is a key
    }
    if (this.items === undefined) {
      const result = await this.server.execute<Listed[] | { error: string }>(this.command);
      this.error = result && !Array.isArray(result) ? result.error : undefined;
      this.items = Array.isArray(result) ? result : [];
      this.loaded(this.items);
    }
    if (this.error) return [{ id: "", error: this.error }];
    return this.items;
  }

  protected loaded(_items: Listed[]): void {}

  getTreeItem(element: Listed): vscode.TreeItem {
    if (element.needsKey) {
      const item = new vscode.TreeItem("Set an API key to see this list");
      item.iconPath = new vscode.ThemeIcon("key");
      item.command = { command: "finetune-ls.setApiKey", title: "Set API Key" };
      return item;
    }
    if (typeof element.error === "string") {
      const item = new vscode.TreeItem(element.error);
      item.iconPath = new vscode.ThemeIcon("warning");
      item.tooltip = element.error;
      return item;
    }
    return this.item(element);
  }

  protected abstract item(element: Listed): vscode.TreeItem;
}

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
}

export function registerViews(server: Server, tracker: JobTracker): { views: Views; disposables: vscode.Disposable[] } {
  const views = { jobs: new JobsView(server, tracker), models: new ModelsView(server), files: new FilesView(server) };
  const disposables = [
    vscode.window.registerTreeDataProvider("finetune.jobs", views.jobs),
    vscode.window.registerTreeDataProvider("finetune.models", views.models),
    vscode.window.registerTreeDataProvider("finetune.files", views.files),
  ];
  return { views, disposables };
}
