import assert from "node:assert/strict";
import { test } from "node:test";
import { chartSvg, extent, JobMetrics, MetricsPoint, polyline } from "../src/chartData";

test("points are kept one per step, in step order, a repeated step merged", () => {
  const metrics = new JobMetrics();
  assert.equal(metrics.add({ jobId: "ftjob-1", step: 2, train_loss: 1.5, total_steps: 3 }), true);
  assert.equal(metrics.add({ jobId: "ftjob-1", step: 1, train_loss: 2.0 }), true);
  assert.equal(metrics.add({ jobId: "ftjob-1", step: 2, valid_loss: 1.7 }), true);
  assert.equal(metrics.add({ jobId: "ftjob-1", train_loss: 1 }), false);
  assert.equal(metrics.add({ step: Number.NaN }), false);
  assert.deepEqual(metrics.points().map((p) => p.step), [1, 2]);
  assert.deepEqual(metrics.latest(), { step: 2, train_loss: 1.5, valid_loss: 1.7, total_steps: 3 });
  assert.equal(metrics.totalSteps, 3);
  assert.equal(metrics.size, 2);
});

test("extent widens a flat series and has a default for none", () => {
  assert.deepEqual(extent([1, 3, 2]), [1, 3]);
  assert.deepEqual(extent([]), [0, 1]);
  const [low, high] = extent([2, 2]);
  assert.ok(low < 2 && high > 2);
});

test("polyline scales steps to x and values to y, with y growing downwards", () => {
  const points: MetricsPoint[] = [{ step: 0, train_loss: 2 }, { step: 5, train_loss: 1 }, { step: 10, train_loss: 0 }, { step: 11 }];
  assert.equal(polyline(points, "train_loss", [0, 10], [0, 2], { width: 100, height: 50 }), "0,0 50,25 100,50");
});

test("the chart draws loss and accuracy series present, with theme colours", () => {
  const metrics = new JobMetrics();
  metrics.add({ step: 1, train_loss: 2, valid_loss: 2.2, train_mean_token_accuracy: 0.5 });
  metrics.add({ step: 2, train_loss: 1, valid_loss: 1.4, train_mean_token_accuracy: 0.7 });
  const svg = chartSvg(metrics, { width: 600, height: 400 });
  for (const key of ["train_loss", "valid_loss", "train_mean_token_accuracy"]) {
    assert.match(svg, new RegExp(`data-series="${key}"`));
  }
  assert.doesNotMatch(svg, /data-series="valid_mean_token_accuracy"/);
  assert.match(svg, /var\(--vscode-charts-blue\)/);
  assert.doesNotMatch(svg, /#[0-9a-f]{6}/i, "no fixed colours: the theme's");
});

test("an empty chart says why it is empty", () => {
  assert.match(chartSvg(new JobMetrics(), { width: 600, height: 400 }), /No metrics yet/);
});
