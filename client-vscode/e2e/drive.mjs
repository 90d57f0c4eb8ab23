// Drives a real VS Code (code-server) in headless Chromium through the extension's whole
// loop, saving a screenshot per step into E2E_ARTIFACTS and printing one JSON line per
// step. Any failed expectation exits 1 after a "failure" screenshot.
// Env: E2E_URL (code-server with the workspace), E2E_ARTIFACTS, E2E_KEY (the API key to
// type), E2E_CHROMIUM (the browser), E2E_BIG_LAST_LINE (big.jsonl's broken last line). Run by tests/vscode/test_vscode_e2e.py.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { failed, openBrowser, workbench } from "./workbench.mjs";

const { E2E_URL: url, E2E_ARTIFACTS: artifacts, E2E_KEY: key, E2E_CHROMIUM: browserPath, E2E_BIG_LAST_LINE: bigLastLine } =
  process.env;
const { browser, page } = await openBrowser(browserPath);
const { shot, fail, until, palette, pickRow, quickInput, openFile, goToLine, decoratedLines, scanLines, lineText,
        notification, clearNotifications, webviewFrame, chartTextColor, jobsViewText, diffEditorTexts } = workbench(page, artifacts);

// ------------------------------------------------------------------ the session
try {
  await page.goto(url);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await until("the explorer", async () => (await page.locator(".explorer-folders-view .monaco-list-row").count()) >= 2);
  await shot("workbench");

  // --- checking a broken file: squiggles, Problems, inlay hint, cost lens
  await openFile("train.jsonl");
  // The first start makes the server's environment from the bundled wheel: allow for it.
  await until("the first error squiggle", async () => (await decoratedLines(".squiggly-error")).length > 0, 300_000, 1000);
  await page.waitForTimeout(1000); // the file-level findings (duplicates) come with the full report
  const errors = await scanLines(".squiggly-error");
  const warnings = await scanLines(".squiggly-warning");
  // Line 4's weight 1.0 is a warning: no source shows OpenAI refusing it (docs/rule-evidence.md).
  if (JSON.stringify(errors) !== "[2,7,15]") fail(`error squiggles on lines ${errors}, expected 2, 7, 15`);
  if (JSON.stringify(warnings) !== "[4,10,14]") fail(`warning squiggles on lines ${warnings}, expected 4, 10, 14`);
  await goToLine(1);
  await shot("squiggles", { errors, warnings });

  await page.keyboard.press("Control+Shift+M");
  const problems = await until("the Problems rows", async () => {
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    return rows.length >= 7 ? rows.map((row) => row.replace(/\s+/g, " ")) : undefined;
  });
  const expected = [["Role \"model\" is not allowed here", 2], ["weight is 1.0", 4], ["\"arguments\" in tool call", 7],
                    ["Empty line", 10], ["The same example as line 1", 14], ["The line ends before the object", 15]];
  for (const [message, line] of expected) {
    if (!problems.some((row) => row.includes(message) && row.includes(`[Ln ${line},`))) {
      fail(`no Problems entry "${message}" at line ${line}:\n${problems.join("\n")}`);
    }
  }
  await shot("problems", { rows: problems.length });
  await page.keyboard.press("Control+Shift+M"); // closes the panel again (toggle)

  const hint = await until("an inlay token hint", async () => {
    // Inlay hints are spans of injected text in the line (spaces as no-break spaces).
    const text = await page.locator(".monaco-editor .view-lines").first().innerText();
    return /\d[\d,]*\s+tok/.exec(text)?.[0].replace(/\s+/, " ");
  });
  await shot("inlay-hint", { hint });

  const lens = await until("the cost lens", async () => {
    const text = await page.locator(".monaco-editor .codelens-decoration").first().innerText();
    return /examples · .* ≈ \$\d/.test(text) ? text : undefined;
  });
  await shot("cost-lens", { lens });

  // --- a quick fix applied, then undone
  const before = await lineText(2);
  if (!before?.includes('"role": "model"')) fail(`line 2 is not the broken one: ${before}`);
  await goToLine(`2:${before.indexOf('"model"') + 2}`);
  await page.keyboard.press("Control+.");
  const fix = page.locator(".action-widget .monaco-list-row", { hasText: "assistant" }).first();
  await fix.waitFor({ state: "visible", timeout: 20_000 });
  const fixTitle = (await fix.innerText()).trim();
  await fix.click();
  const fixed = await until("the fix applied", async () => {
    const text = await lineText(2);
    return text?.includes('"role": "assistant"') && !text.includes('"role": "model"') ? text : undefined;
  });
  await until("line 2's error gone", async () => !(await decoratedLines(".squiggly-error")).includes(2));
  await shot("quick-fix", { fix: fixTitle });
  await page.keyboard.press("Control+Z");
  await until("the fix undone", async () => (await lineText(2))?.includes('"role": "model"'));
  await until("line 2's error back", async () => (await decoratedLines(".squiggly-error")).includes(2));
  await shot("undo", { fixedLine: fixed.slice(0, 60) });

  // --- a file over 50 MB, which VS Code does not hand to extensions: checked from disk
  await openFile("big.jsonl", { focus: false });
  const checked = await notification("checked big.jsonl from disk", 120_000);
  const summary = (await checked.innerText()).replace(/\s+/g, " ");
  await page.keyboard.press("Control+Shift+M");
  const bigRow = await until("the big file's finding in Problems", async () => {
    const rows = (await page.locator(".markers-panel .monaco-list-row").allInnerTexts()).map((row) => row.replace(/\s+/g, " "));
    return rows.find((row) => row.includes("The line ends before") && row.includes(`[Ln ${bigLastLine},`));
  });
  await shot("big-file", { summary: summary.slice(0, 160), problem: bigRow.slice(0, 160) });
  await page.keyboard.press("Control+Shift+M");
  await clearNotifications();

  // --- the fine-tuning loop against the fake OpenAI server
  await palette("Fine-tune: Show Jobs");
  await until("the Jobs view asking for a key", async () => (await jobsViewText()).includes("Set an API key"));
  await palette("Fine-tune: Set API Key");
  const keyInput = await quickInput("API key");
  if ((await keyInput.getAttribute("type")) !== "password") fail("the API key input is not a password field");
  await keyInput.fill(key);
  await page.keyboard.press("Enter");
  await notification("API key saved");
  await until("the Jobs view listing (no jobs yet)", async () => !(await jobsViewText()).includes("Set an API key"));
  await shot("api-key");
  await clearNotifications();

  await openFile("support.jsonl");
  await palette("Fine-tune: Upload File");
  const uploaded = await notification("uploaded support.jsonl as file-");
  const fileId = /file-[\w-]+/.exec(await uploaded.innerText())?.[0];
  await shot("upload", { fileId });
  await clearNotifications();
  // The same content again: the file uploaded is named, and a new upload is a button away (not taken).
  await palette("Fine-tune: Upload File");
  const reused = await notification(`support.jsonl is already uploaded as ${fileId} (same content`);
  const again = reused.locator(".monaco-button", { hasText: "Upload again" });
  if (!(await again.count())) fail("the reused upload's message offers no Upload again");
  await shot("upload-reused", { message: (await reused.innerText()).replace(/\s+/g, " ").slice(0, 160) });
  await clearNotifications();

  // support.jsonl was just uploaded: the first step offers that file before a new upload.
  await palette("Fine-tune: Start Job");
  let input = await quickInput("(1/6): training file");
  const fileRows = await until("the uploaded file, then a new upload", async () => {
    const rows = (await page.locator(".quick-input-list .monaco-list-row").allInnerTexts()).map((row) => row.replace(/\s+/g, " "));
    return rows.length === 2 ? rows : undefined;
  });
  if (!fileRows[0].includes(fileId) || !fileRows[0].includes("same content as support.jsonl")
      || !fileRows[1].includes("Upload support.jsonl again")) fail(`the training file's rows: ${fileRows}`);
  await shot("job-file", { rows: fileRows });
  await pickRow(fileId);
  input = await quickInput("(2/6)");
  await input.fill("gpt-4o-mini");
  await pickRow("gpt-4o-mini-2024-07-18");
  input = await quickInput("(3/6)");
  await pickRow("supervised");
  input = await quickInput("(4/6)");
  await input.fill("3");
  await page.keyboard.press("Enter");
  input = await quickInput("(5/6)");
  await input.fill("e2e");
  await page.keyboard.press("Enter");
  input = await quickInput("(6/6)");
  await pickRow("(no validation file)");
  const confirm = await notification("Start a supervised fine-tuning job on gpt-4o-mini-2024-07-18");
  const question = (await confirm.innerText()).replace(/\s+/g, " ");
  if (!/\$\d/.test(question)) fail(`the confirmation shows no cost estimate: ${question}`);
  await shot("job-confirm", { question });
  await confirm.locator(".monaco-button", { hasText: "Start job" }).click();
  const startedToast = await notification("started ftjob-");
  const jobId = /ftjob-[\w-]+/.exec(await startedToast.innerText())?.[0];
  await until("the job in the Jobs view", async () => (await jobsViewText()).includes(jobId));
  await shot("job-started", { jobId });
  await clearNotifications();

  const live = await until("the chart drawing steps while the job runs", async () => {
    const found = await webviewFrame();
    const jobs = await jobsViewText();
    return found && found.points >= 2 && /running/.test(jobs) ? found.points : undefined;
  }, 120_000, 150);
  await shot("chart-live", { points: live });

  const finished = await until("the job succeeded in the Jobs view", async () => {
    const jobs = await jobsViewText();
    return /succeeded/.test(jobs) ? jobs : undefined;
  }, 120_000);
  const final = await webviewFrame();
  if (!final || final.points < 8) fail(`the chart has ${final?.points} steps, expected 8`);
  const lines = await final.frame.evaluate(() => [...document.querySelectorAll("polyline.series")].map((p) => p.dataset.series));
  for (const series of ["train_loss", "train_mean_token_accuracy"]) { // no validation file: no valid_* lines
    if (!lines.includes(series)) fail(`the chart has no ${series} line (${lines})`);
  }
  const darkText = await chartTextColor(final.frame);
  await shot("job-succeeded", { textColor: darkText.css, jobs: finished.slice(0, 120), series: lines });

  // --- try the model on an example, then delete it after confirming
  await openFile("support.jsonl");
  await goToLine(1);
  await palette("Fine-tune: Try Model on This Example");
  await quickInput("Try which model");
  await pickRow("ft:");
  // The answer opens in a diff editor beside the expected one (examples/clean.jsonl line 1), not in a toast.
  const expectedAnswer = JSON.parse(readFileSync(new URL("../../examples/clean.jsonl", import.meta.url), "utf8")
    .split("\n")[0]).messages.at(-1).content;
  let seen = "";
  const trial = await until("the trial's diff editor", async () => {
    const shown = await diffEditorTexts();
    if (shown && JSON.stringify(shown) !== seen) console.error(`(a diff editor: ${(seen = JSON.stringify(shown))})`);
    return shown?.original.includes(expectedAnswer) && shown.modified.includes("canned answer") ? shown : undefined;
  }, 60_000);
  if (!/^Line 1 · expected ↔ ft:.* · \d+ in \/ \d+ out · \$\d/.test(trial.title)) fail(`the trial's title: ${trial.title}`);
  await page.waitForTimeout(1000); // a toast would have come with the answer
  const toasts = await page.locator(".notifications-toasts .notification-toast").allInnerTexts();
  if (toasts.some((text) => text.includes("canned answer"))) fail(`the answer came as a toast too: ${toasts}`);
  await shot("try-model", { title: trial.title, expected: trial.original.slice(0, 80), answer: trial.modified.slice(0, 80) });
  await palette("View: Close Editor"); // back to support.jsonl for the ghost text
  await clearNotifications();

  // Ghost text from the fine-tuned model in a new example's assistant slot, on request.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.insertText('{"messages": [{"role": "user", "content": "Can I get an invoice?"}, {"role": "assistant", "content": "');
  await palette("Trigger Inline Suggestion");
  const ghost = await until("ghost text from the model", async () => {
    const parts = await page.locator(".monaco-editor .ghost-text-decoration").allInnerTexts();
    const text = parts.join("").replace(/\s+/g, " "); // no-break spaces in the editor's spans
    return text.includes("canned answer") ? text : undefined;
  }, 30_000);
  await shot("ghost-text", { ghost: ghost.slice(0, 120) });
  await page.keyboard.press("Escape");
  await palette("File: Revert File");
  await until("the typed example reverted", async () => (await lineText(13)) === null);
  await clearNotifications();

  await palette("Fine-tune: Delete Model");
  await quickInput("Delete which model");
  const modelRow = page.locator(".quick-input-list .monaco-list-row", { hasText: "ft:" }).first();
  await modelRow.waitFor();
  const model = (await modelRow.locator(".label-name").first().innerText()).trim();
  if (!model.startsWith("ft:")) fail(`the model to delete is ${model}`);
  await modelRow.click();
  const ask = await notification(`Delete the model ${model}?`);
  await shot("delete-confirm", { model });
  await ask.locator(".monaco-button", { hasText: `Delete ${model}` }).click();
  await notification(`deleted ${model}`);
  await shot("model-deleted", { model });
  await clearNotifications();

  // --- the chart in a light theme: its colours are the theme's
  if (darkText.luminance < 0.5) fail(`the chart's text is dark (${darkText.css}) in a dark theme`);
  await palette("Preferences: Color Theme");
  const themes = await quickInput("Select Color Theme");
  await themes.fill("Light Modern");
  await pickRow("Light Modern");
  const lightText = await until("the chart's text dark on the light theme", async () => {
    const found = await webviewFrame();
    const color = found && (await chartTextColor(found.frame));
    return color && color.luminance < 0.3 ? color : undefined;
  });
  await shot("chart-light", { textColor: lightText.css });
} catch (error) {
  await failed(browser, page, artifacts, error, async () => {  // the editor's lines as drawn, to read
    const html = await page.evaluate(() => document.querySelector(".monaco-editor .view-lines")?.outerHTML ?? "");
    writeFileSync(join(artifacts, "failure-editor.html"), html.slice(0, 200_000));
  });
}
await browser.close();
