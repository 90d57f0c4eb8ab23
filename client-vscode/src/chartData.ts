// A job's training metrics as the server streams them (finetune/jobMetrics), and the SVG
// that draws them: loss and token accuracy per step, train and valid. Pure: no vscode import.
// Colours are VS Code theme variables, so the chart reads in light and dark themes.

export interface MetricsPoint {
  step: number;
  [name: string]: number;
}

export const SERIES = {
  loss: [
    { key: "train_loss", label: "train loss", color: "var(--vscode-charts-blue)" },
    { key: "valid_loss", label: "valid loss", color: "var(--vscode-charts-orange)" },
  ],
  accuracy: [
    { key: "train_mean_token_accuracy", label: "train accuracy", color: "var(--vscode-charts-green)" },
    { key: "valid_mean_token_accuracy", label: "valid accuracy", color: "var(--vscode-charts-purple)" },
  ],
} as const;

/** The points of one job, one per step, in step order; a point sent again replaces the old. */
export class JobMetrics {
  private readonly byStep = new Map<number, MetricsPoint>();
  totalSteps: number | undefined;

  /** Takes a notification's params; false when they are not a metrics point. */
  add(params: Record<string, unknown>): boolean {
    const step = params.step;
    if (typeof step !== "number" || !Number.isFinite(step)) return false;
    const point: MetricsPoint = { step };
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === "number" && Number.isFinite(value)) point[key] = value;
    }
    if (typeof point.total_steps === "number") this.totalSteps = point.total_steps;
    this.byStep.set(step, { ...this.byStep.get(step), ...point });
    return true;
  }

  points(): MetricsPoint[] {
    return [...this.byStep.values()].sort((a, b) => a.step - b.step);
  }

  get size(): number {
    return this.byStep.size;
  }

  latest(): MetricsPoint | undefined {
    const points = this.points();
    return points[points.length - 1];
  }
}

export interface Box {
  width: number;
  height: number;
}

interface Series {
  key: string;
  label: string;
  color: string;
}

/** min and max of the values, widened when they are equal so a flat line has a place. */
export function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= Math.abs(low) * 0.1 || 1;
    high += Math.abs(high) * 0.1 || 1;
  }
  return [low, high];
}

/** "x,y x,y ..." of one series inside the box (y grows downwards); steps without the value are left out. */
export function polyline(points: MetricsPoint[], key: string, steps: [number, number], values: [number, number],
                         box: Box): string {
  const xScale = (step: number) => ((step - steps[0]) / (steps[1] - steps[0] || 1)) * box.width;
  const yScale = (value: number) => box.height - ((value - values[0]) / (values[1] - values[0] || 1)) * box.height;
  return points
    .filter((point) => typeof point[key] === "number")
    .map((point) => `${round(xScale(point.step))},${round(yScale(point[key]))}`)
    .join(" ");
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function panel(title: string, series: readonly Series[], points: MetricsPoint[], stepRange: [number, number],
               box: Box, top: number): string {
  const present = series.filter((item) => points.some((point) => typeof point[item.key] === "number"));
  const values = extent(points.flatMap((point) => present.map((item) => point[item.key]))
    .filter((value): value is number => typeof value === "number"));
  const left = 56;
  const plot: Box = { width: box.width - left - 16, height: box.height - 64 };
  const lines = present.map((item) => {
    const coords = polyline(points, item.key, stepRange, values, plot);
    return `<polyline class="series" data-series="${item.key}" fill="none" stroke="${item.color}" stroke-width="2" points="${coords}"/>`;
  });
  const legend = present.map((item, index) =>
    `<g transform="translate(${left + index * 150},${box.height - 6})"><rect width="12" height="3" y="-4" fill="${item.color}"/>` +
    `<text x="18" class="legend">${escape(item.label)}</text></g>`).join("");
  return `<g transform="translate(0,${top})">` +
    `<text x="${left}" y="14" class="title">${escape(title)}</text>` +
    `<g transform="translate(${left},24)">` +
    `<rect width="${plot.width}" height="${plot.height}" class="frame" fill="none"/>` +
    `<text x="-6" y="10" class="axis" text-anchor="end">${values[1].toFixed(3)}</text>` +
    `<text x="-6" y="${plot.height}" class="axis" text-anchor="end">${values[0].toFixed(3)}</text>` +
    `<text x="0" y="${plot.height + 14}" class="axis">step ${stepRange[0]}</text>` +
    `<text x="${plot.width}" y="${plot.height + 14}" class="axis" text-anchor="end">step ${stepRange[1]}</text>` +
    lines.join("") + `</g>${legend}</g>`;
}

/** The whole chart: loss above, token accuracy below; a sentence while there is nothing to draw. */
export function chartSvg(metrics: JobMetrics, box: Box): string {
  const points = metrics.points();
  if (points.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${box.width} 40" width="100%"><text x="8" y="24" class="axis">` +
      "No metrics yet: they appear here step by step while the job trains.</text></svg>";
  }
  const stepRange: [number, number] = [points[0].step, Math.max(points[points.length - 1].step, metrics.totalSteps ?? 0)];
  const half: Box = { width: box.width, height: Math.floor(box.height / 2) };
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${box.width} ${box.height}" width="100%" style="max-width: ${box.width * 1.5}px">` +
    panel("Loss", SERIES.loss, points, stepRange, half, 0) +
    panel("Token accuracy", SERIES.accuracy, points, stepRange, half, half.height) + "</svg>";
}
