// Drives a real VS Code (code-server) in headless Chromium through the lenses and the views'
// context menus: the Model and Epochs lenses clicked, Pause/Resume/Cancel from a job row's
// context menu and then from the palette, Try Model and Delete Model from the Models view,
// Delete File from the Files view, and the extension's activation time as VS Code measured it.
// A screenshot per step into E2E_ARTIFACTS, one JSON line per step; a failed expectation exits 1.
// Each action is checked twice: on screen, and in the fake's own state over its HTTP API.
// Env: E2E_URL, E2E_ARTIFACTS, E2E_KEY, E2E_CHROMIUM, E2E_API (the fake's /v1 URL), E2E_TRAINING (the
// file with the lenses), E2E_MENU_JOB and E2E_PALETTE_JOB (running jobs), E2E_TRY_MODEL and
// E2E_DROP_MODEL (fine-tuned models), E2E_DROP_FILE (an uploaded file's id). Run by
// tests/vscode/test_vscode_views_e2e.py.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { failed, openBrowser, workbench } from "./workbench.mjs";

const env = process.env;
const { E2E_URL: url, E2E_ARTIFACTS: artifacts, E2E_KEY: key, E2E_CHROMIUM: browserPath, E2E_API: api } = env;
const { browser, page } = await openBrowser(browserPath);
const { shot, fail, until, palette, pickRow, quickInput, openFile, notification, clearNotifications, viewText,
        contextMenu, diffEditorTexts } = workbench(page, artifacts);

/** The fake's own record of an object (its HTTP API, with the key): undefined once it is gone. */
async function fakeObject(path) {
  const answer = await fetch(`${api}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  if (answer.status === 404) return undefined;
  if (!answer.ok) fail(`GET ${path} answered ${answer.status}`);
  return answer.json();
}

/** The lenses on the file's first line, each as drawn: [{ text, clickable }]. */
async function lenses() {
  if ((await page.locator(".monaco-editor .codelens-decoration").count()) === 0) return [];
  return page.locator(".monaco-editor .codelens-decoration").first().evaluate((decoration) =>
    [...decoration.children].filter((child) => child.tagName === "A" || child.tagName === "SPAN")
      .map((child) => ({ text: child.textContent.replace(/\u00a0/g, " ").trim(), clickable: child.tagName === "A" }))
      .filter((lens) => lens.text && lens.text !== "|"), undefined, { timeout: 2_000 });
}

/** The summary lens's figures: "… gpt-4o-mini × 3 epochs ≈ $1.23". */
async function costLens() {
  const all = await lenses();
  const summary = all.find((lens) => / examples · /.test(lens.text));
  const figures = summary && /([\w.-]+) × (\d+) epochs ≈ \$([\d,.]+)/.exec(summary.text);
  return figures && { text: summary.text, model: figures[1], epochs: Number(figures[2]),
                      cost: Number(figures[3].replace(/,/g, "")), lenses: all.map((lens) => lens.text) };
}

/** Clicks the lens whose text starts with `prefix`, with the mouse, where it is drawn. */
async function clickLens(prefix) {
  const lens = page.locator(".monaco-editor .codelens-decoration a", { hasText: prefix }).first();
  await lens.waitFor({ state: "visible", timeout: 30_000 });
  const box = await lens.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** The Jobs view's row for a job once it shows `status` (its text), and the fake's status then. */
async function jobShows(jobId, status) {
  let seen;
  const row = await until(`${jobId} shown as ${status} in the Jobs view`, async () => {
    seen = (await page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Jobs" }) }).first()
      .locator(".monaco-list-row", { hasText: jobId }).first().innerText({ timeout: 2_000 })).replace(/\s+/g, " ");
    // The row reads "<id><status> · <model>" (label and description with no space between).
    return seen.slice(seen.indexOf(jobId) + jobId.length).trim().startsWith(status) ? seen : undefined;
  }).catch((error) => fail(`${error.message}; the row reads: ${seen}`));
  const job = await fakeObject(`/fine_tuning/jobs/${jobId}`);
  if (job.status !== status) fail(`the Jobs view shows ${jobId} ${status}, but the fake has it ${job.status}`);
  return row;
}

async function confirmIn(question, button) {
  const toast = await notification(question);
  const text = (await toast.innerText()).replace(/\s+/g, " ");
  return { toast, text, click: () => toast.getByRole("button", { name: button, exact: true }).click() };
}

// ------------------------------------------------------------------ the session
try {
  await page.goto(url);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await until("the explorer", async () => (await page.locator(".explorer-folders-view .monaco-list-row").count()) >= 1);

  // --- the Model and Epochs lenses, clicked with the mouse
  await openFile(env.E2E_TRAINING);
  // The first start makes the server's environment from the bundled wheel: allow for it.
  const before = await until("the cost lens", costLens, 300_000, 1000);
  if (before.model !== "gpt-4o-mini") fail(`the file starts on ${before.model}, expected the setting's gpt-4o-mini`);
  await clickLens("Model: gpt-4o-mini");
  // The choices read as the lens does (gpt-4.1), not as ids clipped by the buttons' width.
  const question = await confirmIn("Estimate costs for which model?", "gpt-4.1");
  const choices = (await question.toast.locator(".monaco-button").allInnerTexts()).map((label) => label.trim());
  if (!choices.includes("gpt-4.1") || choices.some((label) => /-20\d\d-\d\d-\d\d$/.test(label))) {
    fail(`the Model lens offers ${choices.join(", ")}`);
  }
  await shot("model-lens-choices", { lens: "Model: gpt-4o-mini", choices });
  await question.click();
  const bigger = await until("the lenses on gpt-4.1", async () => {
    const now = await costLens();
    return now?.model === "gpt-4.1" && now.lenses.includes("Model: gpt-4.1") ? now : undefined;
  });
  // Both models count with o200k_base: the same tokens, so the cost moves by the price alone ($25 vs $3 per 1M).
  const expectedCost = (before.cost * 25) / 3;
  if (Math.abs(bigger.cost - expectedCost) > 0.01 * 25 / 3 + 0.01) {
    fail(`on gpt-4.1 the cost is $${bigger.cost}, expected about $${expectedCost.toFixed(2)} (from $${before.cost})`);
  }
  await shot("model-lens", { before: before.text, after: bigger.text });

  const epochs = bigger.epochs === 5 ? 2 : 5;
  await clickLens("Epochs:");
  const epochQuestion = await confirmIn("Estimate costs for how many epochs?", String(epochs));
  await shot("epochs-lens-choices", { lens: `Epochs: ${bigger.epochs}`, choices: epochQuestion.text.slice(0, 200) });
  await epochQuestion.click();
  const scaled = await until(`the lenses on ${epochs} epochs`, async () => {
    const now = await costLens();
    return now?.epochs === epochs && now.lenses.includes(`Epochs: ${epochs}`) ? now : undefined;
  });
  const perEpoch = bigger.cost / bigger.epochs;
  if (Math.abs(scaled.cost - perEpoch * epochs) > 0.01 * epochs + 0.01) {
    fail(`${epochs} epochs cost $${scaled.cost}, expected about $${(perEpoch * epochs).toFixed(2)} ($${bigger.cost} for ${bigger.epochs})`);
  }
  await shot("epochs-lens", { before: bigger.text, after: scaled.text });
  await clearNotifications();

  // --- the key, then the Jobs view
  await palette("Fine-tune: Set API Key");
  const keyInput = await quickInput("API key");
  await keyInput.fill(key);
  await page.keyboard.press("Enter");
  await notification("API key saved");
  await clearNotifications();
  await palette("Fine-tune: Show Jobs");
  const menuJob = env.E2E_MENU_JOB, paletteJob = env.E2E_PALETTE_JOB;
  await until("both running jobs in the Jobs view", async () => {
    const jobs = await viewText("Jobs");
    return jobs.includes(menuJob) && jobs.includes(paletteJob);
  });
  await jobShows(menuJob, "running");

  // --- Pause, Resume and Cancel from a job row's context menu
  const runningMenu = await contextMenu("Jobs", menuJob);
  if (!runningMenu.some((entry) => entry.includes("Pause Job")) || runningMenu.some((entry) => entry.includes("Resume Job"))) {
    fail(`a running job's menu offers: ${runningMenu.join(", ")}`);
  }
  await shot("job-menu-running", { job: menuJob, menu: runningMenu });
  await page.keyboard.press("Escape");
  await contextMenu("Jobs", menuJob, "Pause Job");
  const paused = await jobShows(menuJob, "paused");
  await shot("menu-paused", { job: menuJob, row: paused });
  await clearNotifications();

  const pausedMenu = await contextMenu("Jobs", menuJob);
  if (!pausedMenu.some((entry) => entry.includes("Resume Job")) || pausedMenu.some((entry) => entry.includes("Pause Job"))) {
    fail(`a paused job's menu offers: ${pausedMenu.join(", ")}`);
  }
  await shot("job-menu-paused", { job: menuJob, menu: pausedMenu });
  await page.keyboard.press("Escape");
  await contextMenu("Jobs", menuJob, "Resume Job");
  const resumed = await jobShows(menuJob, "running");
  await shot("menu-resumed", { job: menuJob, row: resumed });
  await clearNotifications();

  await contextMenu("Jobs", menuJob, "Cancel Job");
  const cancelAsk = await confirmIn(`Cancel the fine-tuning job ${menuJob}?`, "Cancel job");
  if ((await fakeObject(`/fine_tuning/jobs/${menuJob}`)).status !== "running") fail("the job was cancelled before the answer");
  await shot("menu-cancel-confirm", { job: menuJob, question: cancelAsk.text.slice(0, 160) });
  await cancelAsk.click();
  const cancelled = await jobShows(menuJob, "cancelled");
  await shot("menu-cancelled", { job: menuJob, row: cancelled });
  await clearNotifications();

  // --- the same three from the palette, on the other job
  for (const [command, status] of [["Pause Job", "paused"], ["Resume Job", "running"], ["Cancel Job", "cancelled"]]) {
    await palette(`Fine-tune: ${command}`);
    await quickInput("which job?");
    await pickRow(paletteJob);
    if (command === "Cancel Job") {
      const ask = await confirmIn(`Cancel the fine-tuning job ${paletteJob}?`, "Cancel job");
      await ask.click();
    }
    const row = await jobShows(paletteJob, status);
    await shot(`palette-${status}`, { job: paletteJob, row });
    await clearNotifications();
  }

  // --- the Models view: Try Model, then Delete Model (after its question)
  const tryModel = env.E2E_TRY_MODEL, dropModel = env.E2E_DROP_MODEL;
  await palette("Fine-tune: List Models");
  await until("both models in the Models view", async () => {
    const models = await viewText("Models");
    return models.includes(tryModel) && models.includes(dropModel);
  });
  const modelMenu = await contextMenu("Models", tryModel);
  await shot("model-menu", { model: tryModel, menu: modelMenu });
  await page.keyboard.press("Escape");
  await contextMenu("Models", tryModel, "Try Model");
  // The answer opens in a diff editor titled with the model (its last part: ft:…:fk000015).
  const trial = await until("the model's answer in a diff editor", async () => {
    const shown = await diffEditorTexts();
    return shown?.modified.includes("canned answer") && shown.title.includes(tryModel.split(":").pop()) ? shown : undefined;
  });
  await shot("model-tried", { model: tryModel, title: trial.title });
  await palette("View: Close Editor");
  await clearNotifications();

  await contextMenu("Models", dropModel, "Delete Model");
  const dropAsk = await confirmIn(`Delete the model ${dropModel}?`, `Delete ${dropModel}`);
  if (!(await fakeObject(`/models/${dropModel}`))) fail("the model was deleted before the answer");
  await shot("model-delete-confirm", { model: dropModel, question: dropAsk.text.slice(0, 160) });
  await dropAsk.click();
  await until("the model gone from the Models view", async () => !(await viewText("Models")).includes(dropModel));
  if (await fakeObject(`/models/${dropModel}`)) fail(`the view dropped ${dropModel} but the fake still has it`);
  if (!(await viewText("Models")).includes(tryModel)) fail(`${tryModel} went too`);
  await shot("model-deleted", { model: dropModel });
  await clearNotifications();

  // --- the Files view: Delete File (after its question)
  const dropFile = env.E2E_DROP_FILE;
  await until("the file in the Files view", async () => (await viewText("Files")).includes(dropFile));
  const fileMenu = await contextMenu("Files", dropFile);
  await page.keyboard.press("Escape");
  await contextMenu("Files", dropFile, "Delete File");
  const fileAsk = await confirmIn(`Delete the file ${dropFile}?`, "Delete");
  if (!(await fakeObject(`/files/${dropFile}`))) fail("the file was deleted before the answer");
  await shot("file-delete-confirm", { file: dropFile, menu: fileMenu, question: fileAsk.text.slice(0, 160) });
  await fileAsk.click();
  await until("the file gone from the Files view", async () => !(await viewText("Files")).includes(dropFile));
  if (await fakeObject(`/files/${dropFile}`)) fail(`the view dropped ${dropFile} but the fake still has it`);
  await shot("file-deleted", { file: dropFile, files: (await viewText("Files")).slice(0, 160) });
  await clearNotifications();

  // --- the activation time, as VS Code's Running Extensions editor shows it
  await palette("Developer: Show Running Extensions");
  const activation = await until("the extension's activation time", async () => {
    const row = page.locator(".runtime-extensions-editor .monaco-list-row", { hasText: "Fine-tune (finetune-ls)" }).first();
    const text = (await row.innerText()).replace(/\s+/g, " ");
    const found = /(Startup )?Activation: ([\d,]+)ms/i.exec(text);
    return found && { ms: Number(found[2].replace(/,/g, "")), startup: Boolean(found[1]), row: text.slice(0, 200) };
  });
  writeFileSync(join(artifacts, "activation.json"), JSON.stringify(activation, null, 2) + "\n");
  await shot("activation", { activationMs: activation.ms, startup: activation.startup });
} catch (error) {
  await failed(browser, page, artifacts, error);
}
await browser.close();
