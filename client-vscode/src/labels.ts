// Short texts for the status bar and the views, from what the server returns. Pure: no vscode import.

export interface Summary {
  examples?: number;
  tokens?: number | null;
  estimated_cost_usd?: number | null;
  loading?: boolean;
  line?: string;
}

export function compactNumber(value: number): string {
  for (const [size, unit] of [[1e9, "B"], [1e6, "M"], [1e3, "k"]] as const) {
    if (Math.abs(value) >= size) {
      const scaled = value / size;
      return `${scaled >= 100 ? scaled.toFixed(0) : scaled.toFixed(1)}${unit}`;
    }
  }
  return String(Math.round(value));
}

/** "1,204 examples · 2.3M tokens · ≈ $34.60" (what the status bar shows for a file). */
export function summaryText(summary: Summary): string {
  if (summary.loading) return "checking…";
  const examples = summary.examples ?? 0;
  const parts = [`${examples.toLocaleString("en-US")} example${examples === 1 ? "" : "s"}`];
  if (typeof summary.tokens === "number") parts.push(`${compactNumber(summary.tokens)} tokens`);
  if (typeof summary.estimated_cost_usd === "number") parts.push(`≈ $${summary.estimated_cost_usd.toFixed(2)}`);
  return parts.join(" · ");
}

// "pending" is Azure's word for validating_files and queued.
export const ACTIVE_STATUSES = new Set(["validating_files", "queued", "pending", "running", "pausing", "cancelling"]);

/** What the Jobs view's context menu offers a job: job.active, job.paused, job.succeeded
 * (which can be deployed on Azure) or job.done. */
export function jobContext(status: string): string {
  if (status === "paused") return "job.paused";
  if (status === "succeeded") return "job.succeeded";
  return ACTIVE_STATUSES.has(status) ? "job.active" : "job.done";
}

/** "running · step 3/10" */
export function jobProgress(status: string, step?: number, totalSteps?: number): string {
  if (status !== "running" || step === undefined) return status.replace(/_/g, " ");
  return totalSteps ? `running · step ${step}/${totalSteps}` : `running · step ${step}`;
}
