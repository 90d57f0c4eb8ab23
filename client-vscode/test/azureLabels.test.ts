import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultDeploymentName, deploymentDescription, deploymentTooltip, dollars, hourly, skuRow, trainingTypeRow }
  from "../src/azureLabels";

test("a training type row: its price per 1M tokens, a few regions as a hint, and its note", () => {
  assert.deepEqual(trainingTypeRow({ name: "Standard", pricePer1m: 5, regions: ["swedencentral", "northcentralus"], note: "in-region" }),
    { label: "Standard", description: "$5.00 per 1M training tokens", detail: "regions: swedencentral, northcentralus · in-region" });
  const many = trainingTypeRow({ name: "GlobalStandard", pricePer1m: 0.8, regions: ["a", "b", "c", "d", "e", "f"], note: "" });
  assert.equal(many.description, "$0.80 per 1M training tokens");
  assert.equal(many.detail, "regions: a, b, c, d and 2 more");
  assert.deepEqual(trainingTypeRow({ name: "Developer", pricePer1m: null, regions: [] }),
    { label: "Developer", description: "price not known", detail: undefined });
});

test("a SKU row: the hourly cost and how long it lives", () => {
  assert.deepEqual(skuRow({ name: "Standard", hourlyUsd: 1.7, lifetimeHours: null, inactiveDeleteDays: 15, note: "regional" }),
    { label: "Standard", description: "$1.70/hour · deleted after 15 days unused", detail: "regional" });
  assert.equal(skuRow({ name: "Developer", hourlyUsd: 0, lifetimeHours: 24, note: "" }).description, "$0/hour · deleted after 24 h");
  assert.equal(hourly(null), "hourly cost not known");
  assert.equal(dollars(123.4), "$123");
});

test("a deployment in the view: state · cost · SKU · model, and a tooltip with all of it", () => {
  const deployment = { name: "ft-support", model: "gpt-4.1-mini-2025-04-14.ft-abc", sku: "Standard", capacity: 1,
                       state: "Succeeded", hourlyUsd: 1.7, expires: null, source: "azure" };
  assert.equal(deploymentDescription(deployment), "succeeded · $1.70/hour · Standard · gpt-4.1-mini-2025-04-14.ft-abc");
  const tooltip = deploymentTooltip({ ...deployment, sku: "Developer", hourlyUsd: 0, expires: "2026-12-05T08:00:00Z", source: "ledger" });
  assert.match(tooltip, /SKU: Developer \(capacity 1\)/);
  assert.match(tooltip, /deleted by Azure at 2026-12-05T08:00:00Z/);
  assert.match(tooltip, /from this workspace's ledger/);
  assert.equal(deploymentDescription({ name: "x" }), "");
});

test("a deployment's default name is the one the server would pick", () => {
  assert.equal(defaultDeploymentName("gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"), "gpt-4-1-mini-2025-04-14-ft-0123456789ab");
  assert.equal(defaultDeploymentName("ftchkpt-0123456789abcdef0123456789abcdef"), "ftchkpt-0123456789ab");
  assert.equal(defaultDeploymentName("ft:gpt-4o-mini-2024-07-18:org:e2e:AbC123"), "ft-gpt-4o-mini-2024-07-18-org-e2e-AbC123");
  const long = defaultDeploymentName("x".repeat(30) + "y".repeat(50));
  assert.equal(long, `${"x".repeat(20)}-${"x".repeat(0)}${"y".repeat(43)}`);
  assert.equal(defaultDeploymentName(":::"), "fine-tuned");
});
