// The training chart: a webview per job drawing its loss and token accuracy per step,
// redrawn as the server streams metrics. The SVG is made by chartData.ts.
import * as vscode from "vscode";
import { chartSvg } from "./chartData";
import type { JobTracker } from "./jobs";
import { jobProgress } from "./labels";

const SIZE = { width: 640, height: 460 };

export class Charts implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly tracker: JobTracker) {
    this.subscription = tracker.onDidChange((jobId) => this.update(jobId));
  }

  show(jobId: string): void {
    const open = this.panels.get(jobId);
    if (open) {
      open.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel("finetune.chart", `Training: ${jobId}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true });
    panel.webview.html = page(panel.webview.cspSource, jobId);
    panel.onDidDispose(() => this.panels.delete(jobId));
    this.panels.set(jobId, panel);
    this.update(jobId);
  }

  private update(jobId: string): void {
    const panel = this.panels.get(jobId);
    if (!panel) return;
    const metrics = this.tracker.metricsOf(jobId);
    const job = this.tracker.jobs.get(jobId);
    const latest = metrics.latest();
    void panel.webview.postMessage({
      svg: chartSvg(metrics, SIZE),
      status: job ? jobProgress(job.status, latest?.step, metrics.totalSteps) : "",
      model: job?.fine_tuned_model ?? "",
      points: metrics.size,
    });
  }

  dispose(): void {
    this.subscription.dispose();
    for (const panel of this.panels.values()) panel.dispose();
  }
}

function page(cspSource: string, jobId: string): string {
  const nonce = Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join("");
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
  body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); padding: 8px 16px; }
  h2 { font-weight: 600; font-size: 1.1em; margin: 4px 0; }
  #status { color: var(--vscode-descriptionForeground); margin-bottom: 8px; }
  svg text { fill: var(--vscode-foreground); font-size: 11px; }
  svg text.title { font-weight: 600; font-size: 12px; }
  svg text.axis { fill: var(--vscode-descriptionForeground); }
  svg rect.frame { stroke: var(--vscode-editorWidget-border, var(--vscode-panel-border)); }
</style></head>
<body><h2>${jobId}</h2><div id="status">waiting for the server…</div><div id="chart"></div>
<script nonce="${nonce}">
  const status = document.getElementById("status");
  const chart = document.getElementById("chart");
  window.addEventListener("message", (event) => {
    const data = event.data;
    chart.innerHTML = data.svg;
    status.textContent = [data.status, data.points + " steps", data.model].filter(Boolean).join(" · ");
    document.body.dataset.points = String(data.points);
  });
</script></body></html>`;
}
