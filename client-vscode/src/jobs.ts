// What the server streams about followed jobs (finetune/jobStatus, finetune/jobMetrics),
// kept per job for the Jobs view, the chart and the status bar.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { JobMetrics } from "./chartData";
import type { Server } from "./server";

export interface Job {
  id: string;
  status: string;
  model?: string;
  fine_tuned_model?: string | null;
  created_at?: number;
  [field: string]: unknown;
}

export class JobTracker implements vscode.Disposable {
  readonly jobs = new Map<string, Job>();
  readonly metrics = new Map<string, JobMetrics>();
  private readonly following = new Set<string>();
  private readonly changed = new vscode.EventEmitter<string>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly server: Server) {
    this.subscriptions.push(server.onDidStart((client) => this.listen(client)));
  }

  private listen(client: LanguageClient): void {
    this.subscriptions.push(
      client.onNotification("finetune/jobStatus", (params: { jobId: string; status: string; job?: Job }) => {
        this.jobs.set(params.jobId, { ...this.jobs.get(params.jobId), ...(params.job ?? {}), id: params.jobId,
                                      status: params.status });
        this.changed.fire(params.jobId);
      }),
      client.onNotification("finetune/jobMetrics", (params: { jobId: string } & Record<string, unknown>) => {
        if (this.metricsOf(params.jobId).add(params)) this.changed.fire(params.jobId);
      }),
    );
  }

  metricsOf(jobId: string): JobMetrics {
    let metrics = this.metrics.get(jobId);
    if (!metrics) this.metrics.set(jobId, (metrics = new JobMetrics()));
    return metrics;
  }

  remember(jobs: Job[]): void {
    for (const job of jobs) this.jobs.set(job.id, { ...this.jobs.get(job.id), ...job });
  }

  /** Follow a job until it ends (the server streams its status and metrics meanwhile). */
  async follow(jobId: string): Promise<Job | undefined> {
    if (this.following.has(jobId)) return undefined;
    this.following.add(jobId);
    try {
      const result = await this.server.execute<Job | { error: string }>("finetune.followJob", jobId);
      if (result && !("error" in result)) {
        this.jobs.set(jobId, { ...this.jobs.get(jobId), ...result });
        this.changed.fire(jobId);
        return result;
      }
      return undefined;
    } finally {
      this.following.delete(jobId);
    }
  }

  isFollowing(jobId: string): boolean {
    return this.following.has(jobId);
  }

  dispose(): void {
    this.changed.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
