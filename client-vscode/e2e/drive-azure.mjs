// Drives a real VS Code (code-server) in headless Chromium through the Azure loop: Entra ID
// sign-in (no key), Start Job with a training type, the job succeeding, Deploy from the Jobs
// view with the hourly-cost confirmation, the Deployments view, Try Model answered through
// the deployment, and Delete from the Deployments view. A screenshot per step into
// E2E_ARTIFACTS, one JSON line per step on stdout; any failed expectation exits 1 after a
// "failure" screenshot.
// Env: E2E_URL, E2E_ARTIFACTS, E2E_CHROMIUM, E2E_MODEL (the base model to pick),
// E2E_TRAINING_TYPE, E2E_SKU. Run by tests/vscode/test_vscode_azure_e2e.py.
import { failed, openBrowser, workbench } from "./workbench.mjs";

const { E2E_URL: url, E2E_ARTIFACTS: artifacts, E2E_CHROMIUM: browserPath, E2E_MODEL: baseModel,
        E2E_TRAINING_TYPE: trainingType, E2E_SKU: sku } = process.env;
const { browser, page } = await openBrowser(browserPath);
const { shot, fail, until, palette, pickRow, quickInput, openFile, goToLine, notification, clearNotifications,
        viewText, contextMenu, diffEditorTexts } = workbench(page, artifacts);

const oneLine = async (locator) => (await locator.innerText()).replace(/\s+/g, " ");

try {
  await page.goto(url);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await until("the explorer", async () => (await page.locator(".explorer-folders-view .monaco-list-row").count()) >= 1);
  await openFile("support.jsonl");
  // The first start makes the server's environment (with the azure extra): allow for it.
  const lens = await until("the cost lens", async () => {
    const text = await page.locator(".monaco-editor .codelens-decoration").first().innerText();
    return /\d+ examples · /.test(text) ? text : undefined; // Azure's prices may be unpublished: no "≈ $"
  }, 300_000, 1000);
  await shot("workbench", { lens });

  // --- Entra ID: no key asked for, the lists work without one, the Deployments view is there
  await palette("Fine-tune: Set API Key");
  const noKey = await oneLine(await notification("no API key is needed"));
  if (await page.locator(".quick-input-widget input[type=password]").isVisible()) fail("a key was asked for");
  await palette("Fine-tune: Show Jobs");
  const jobsBefore = await until("the Jobs view listing without a key", async () => {
    const text = await viewText("Jobs");
    return text.includes("Set an API key") ? undefined : text;
  });
  await until("the Deployments view", async () => (await page.locator(".pane-header", { hasText: "Deployments" }).count()) > 0);
  await shot("entra-no-key", { message: noKey.slice(0, 200), jobs: jobsBefore.slice(0, 80) });
  await clearNotifications();

  // --- Start Job with a training type; the server's confirmation shows the estimate
  await openFile("support.jsonl");
  await palette("Fine-tune: Start Job");
  let input = await quickInput("(1/6)");
  await input.fill(baseModel);
  await pickRow(baseModel);
  input = await quickInput("(2/6): training type");
  const typeRows = await until("the training types with their prices", async () => {
    const rows = (await page.locator(".quick-input-list .monaco-list-row").allInnerTexts()).map((row) => row.replace(/\s+/g, " "));
    return rows.some((row) => row.includes(trainingType) && /\$\d|price not known/.test(row)) ? rows : undefined;
  });
  await shot("training-type", { rows: typeRows });
  await pickRow(trainingType);
  await quickInput("(3/6)");
  await pickRow("supervised");
  input = await quickInput("(4/6)");
  await input.fill("2");
  await page.keyboard.press("Enter");
  input = await quickInput("(5/6)");
  await input.fill("e2e");
  await page.keyboard.press("Enter");
  await quickInput("(6/6)");
  await pickRow("(no validation file)");
  const confirm = await notification(`fine-tuning job on ${baseModel}`, 120_000);
  const question = await oneLine(confirm);
  // The estimate as the server gives it: a price, or the tokens and why there is no price.
  if (!question.includes(trainingType) || !/\$\d|tokens/.test(question)) fail(`the confirmation shows no estimate: ${question}`);
  await shot("job-confirm", { question });
  await confirm.locator(".monaco-button", { hasText: "Start job" }).click();
  const startedToast = await notification("started ftjob-");
  const jobId = /ftjob-[\w-]+/.exec(await startedToast.innerText())?.[0];
  await clearNotifications();
  const finished = await until("the job succeeded in the Jobs view", async () => {
    const jobs = await viewText("Jobs");
    return new RegExp(`${jobId}\\s*succeeded`).test(jobs) ? jobs : undefined;
  }, 180_000, 500);
  await shot("job-succeeded", { jobId, jobs: finished.slice(0, 200) });

  // --- The model opens onto its job's checkpoints, each of which can be deployed too
  const modelsView = page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Models" }) }).first();
  const modelRow = modelsView.locator(".monaco-list-row", { hasText: "ft" }).first();
  await modelRow.waitFor({ state: "visible", timeout: 30_000 });
  await modelRow.locator(".monaco-tl-twistie").click();
  const checkpoint = await until("the checkpoints under the model", async () => {
    const rows = await modelsView.locator(".monaco-list-row", { hasText: "ftchkpt-" }).allInnerTexts();
    return rows.length ? rows[0].replace(/\s+/g, " ") : undefined;
  });
  const checkpointId = /ftchkpt-[0-9a-f]{32}/.exec(checkpoint)?.[0];
  const menu = await contextMenu("Models", checkpointId);
  if (!menu.some((entry) => entry.includes("Deploy Model (Azure)"))) fail(`a checkpoint's menu has no Deploy: ${menu}`);
  await shot("checkpoints", { checkpoint, menu });
  await page.keyboard.press("Escape");

  // --- Deploy from the Jobs view: a SKU with its hourly cost, a name, the server's confirmation
  await contextMenu("Jobs", jobId, "Deploy Model (Azure)");
  await quickInput("(1/2): SKU");
  const skuRows = await until("the SKUs with their hourly cost", async () => {
    const rows = (await page.locator(".quick-input-list .monaco-list-row").allInnerTexts()).map((row) => row.replace(/\s+/g, " "));
    return rows.some((row) => row.includes(sku) && /\/hour/.test(row)) ? rows : undefined;
  });
  await shot("deploy-sku", { rows: skuRows });
  await page.locator(".quick-input-list .monaco-list-row", { hasText: sku }).first().click();
  input = await quickInput("(2/2): name");
  const deploymentName = (await input.inputValue()).trim();
  if (!deploymentName) fail("no default deployment name");
  await page.keyboard.press("Enter");
  const deployAsk = await notification(`as ${deploymentName}`, 60_000);
  const deployQuestion = await oneLine(deployAsk);
  if (!/\$\d+(\.\d+)?\s*(\/|per )\s*hour/i.test(deployQuestion)) fail(`the deploy confirmation shows no hourly cost: ${deployQuestion}`);
  await shot("deploy-confirm", { question: deployQuestion });
  await deployAsk.locator(".monaco-button", { hasText: /^Deploy$/ }).click();
  const deployed = await oneLine(await notification("finetune-ls: deployed", 180_000));
  const listed = await until("the deployment in the Deployments view", async () => {
    const text = await viewText("Deployments");
    return text.includes(deploymentName) && /succeeded/i.test(text) && /\/hour/.test(text) ? text : undefined;
  }, 60_000);
  // Its tooltip: every fact, the hourly cost included.
  await page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Deployments" }) })
    .locator(".monaco-list-row", { hasText: deploymentName }).first().hover();
  const tooltip = await until("the deployment's tooltip", async () => {
    const line = page.getByText(/cost: \$\d[\d.]*\/hour/); // the tooltip (the view itself says no "cost:")
    return (await line.count()) ? (await line.first().innerText()).replace(/\s+/g, " ") : undefined;
  }, 15_000);
  await shot("deployments-view", { tooltip, deployment: deploymentName, message: deployed.slice(0, 200), view: listed.slice(0, 200) });
  await clearNotifications();

  // --- Try Model: the fine-tuned model, answered through its deployment
  await openFile("support.jsonl");
  await goToLine(1);
  await palette("Fine-tune: Try Model on This Example");
  await quickInput("Try which model");
  const pickedRow = page.locator(".quick-input-list .monaco-list-row", { hasText: "ft" }).first();
  await pickedRow.waitFor({ state: "visible", timeout: 30_000 });
  const model = (await pickedRow.locator(".label-name").first().innerText()).trim();
  await pickedRow.click();
  // The answer opens in a diff editor (Azure's catalog has no inference price: "cost unknown").
  const trial = await until("the trial's diff editor", async () => {
    const shown = await diffEditorTexts();
    return shown?.modified.includes("canned answer") && /cost unknown/.test(shown.title) ? shown : undefined;
  }, 60_000);
  await shot("try-model", { model, title: trial.title, answer: trial.modified.slice(0, 200) });
  await palette("View: Close Editor");
  await clearNotifications();

  // --- Delete from the Deployments view, after the server's question
  await contextMenu("Deployments", deploymentName, "Delete Deployment");
  const deleteAsk = await notification(`Delete the deployment ${deploymentName}`, 60_000);
  const deleteQuestion = await oneLine(deleteAsk);
  if (!/\$\d/.test(deleteQuestion)) fail(`the delete confirmation names no hourly cost: ${deleteQuestion}`);
  await shot("delete-confirm", { question: deleteQuestion });
  await deleteAsk.locator(".monaco-button", { hasText: `Delete ${deploymentName}` }).click();
  await notification(`deleted the deployment ${deploymentName}`, 120_000);
  await until("the deployment gone from the view", async () => !(await viewText("Deployments")).includes(deploymentName), 30_000);
  await shot("deployment-deleted", { deployment: deploymentName });
} catch (error) {
  await failed(browser, page, artifacts, error);
}
await browser.close();
