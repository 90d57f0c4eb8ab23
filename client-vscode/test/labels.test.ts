import assert from "node:assert/strict";
import { test } from "node:test";
import { compactNumber, jobContext, jobProgress, summaryText } from "../src/labels";

test("the status bar's summary: examples · tokens · cost", () => {
  assert.equal(summaryText({ examples: 1204, tokens: 2_310_000, estimated_cost_usd: 34.6 }), "1,204 examples · 2.3M tokens · ≈ $34.60");
  assert.equal(summaryText({ examples: 1, tokens: null, estimated_cost_usd: null }), "1 example");
  assert.equal(summaryText({ loading: true }), "checking…");
  assert.equal(compactNumber(999), "999");
  assert.equal(compactNumber(123_456), "123k");
});

test("jobs: which actions apply, and their progress", () => {
  assert.equal(jobContext("running"), "job.active");
  assert.equal(jobContext("validating_files"), "job.active");
  assert.equal(jobContext("pending"), "job.active"); // Azure's validating_files and queued
  assert.equal(jobContext("paused"), "job.paused");
  assert.equal(jobContext("succeeded"), "job.succeeded");
  assert.equal(jobContext("failed"), "job.done");
  assert.equal(jobProgress("running", 3, 10), "running · step 3/10");
  assert.equal(jobProgress("validating_files"), "validating files");
});
