// Drives a real VS Code (code-server) in headless Chromium through an open-weight target:
// workspace settings finetune.target "trl", finetune.model "Qwen/Qwen3-8B", maxSeqLength 64,
// offline with an empty HF_HOME (the bundled Qwen3 tokenizer). The lenses name the target and
// the model, the over-length examples are squiggled and listed in Problems as the CLI lists
// them, a hover gives an example's tokens, and a click on the Target lens, answered with
// axolotl, checks the file again for axolotl. A screenshot per step into E2E_ARTIFACTS, one
// JSON line per step on stdout; any failed expectation exits 1 after a "failure" screenshot.
// Env: E2E_URL, E2E_ARTIFACTS, E2E_CHROMIUM, E2E_FILE (the file to open), E2E_EXPECTED (JSON:
// per target, the summary lens the CLI's summary gives and the CLI's findings as
// [line, code, message]), E2E_HOVER_LINE (an over-long example's line) and E2E_HOVER (what its
// hover must say). Run by tests/vscode/test_vscode_open_weight_e2e.py.
import { failed, openBrowser, workbench } from "./workbench.mjs";

const { E2E_URL: url, E2E_ARTIFACTS: artifacts, E2E_CHROMIUM: browserPath, E2E_FILE: file } = process.env;
const expected = JSON.parse(process.env.E2E_EXPECTED);
const hoverLine = Number(process.env.E2E_HOVER_LINE);
const hoverWanted = JSON.parse(process.env.E2E_HOVER);
const { browser, page } = await openBrowser(browserPath);
const { shot, fail, until, openFile, goToLine, scanLines, notification } = workbench(page, artifacts);

const collapse = (text) => text.replace(/\s+/g, " ").trim();
const lensArea = page.locator(".monaco-editor .codelens-decoration").first();

/** The lenses of line 1 once they show all of `wanted` (the server may still be checking). */
async function lensesShowing(wanted, timeout = 60_000, every = 250) {
  return until(`the lenses showing ${JSON.stringify(wanted)}`, async () => {
    const titles = (await lensArea.locator("a, span").allInnerTexts()).map(collapse).filter(Boolean);
    return wanted.every((text) => titles.includes(text)) ? titles : undefined;
  }, timeout, every);
}

/** The Problems rows once they are the CLI's findings: one row per finding, at its line,
 * with its code and message, and no other. */
async function problemsAs(findings, what) {
  const shown = page.locator(".markers-panel");
  if (!(await shown.isVisible().catch(() => false))) await page.keyboard.press("Control+Shift+M");
  let last = [];
  try {
    return await until(`the Problems panel listing the CLI's findings (${what})`, async () => {
      last = (await page.locator(".markers-panel .monaco-list-row").allInnerTexts()).map(collapse);
      const entries = last.filter((row) => /\[Ln \d+, Col \d+\]/.test(row));
      const missing = findings.filter(([line, code, message]) => !entries.some(
        (row) => row.includes(`[Ln ${line},`) && row.includes(code) && row.includes(collapse(message).slice(0, 60))));
      return entries.length === findings.length && missing.length === 0 ? entries : undefined;
    }, 60_000, 500);
  } catch (error) {
    fail(`${error.message}\nexpected:\n${findings.map((f) => f.join(" | ")).join("\n")}\nshown:\n${last.join("\n")}`);
  }
}

/** The warning squiggles' lines, which must be the lines of the CLI's findings. */
async function squigglesAs(findings) {
  await page.keyboard.press("Escape");
  await page.locator(".monaco-editor .view-lines").first().click();
  const wanted = [...new Set(findings.map(([line]) => line))].sort((a, b) => a - b);
  let warnings = [];
  await until(`warning squiggles on lines ${wanted}`, async () => {
    warnings = await scanLines(".squiggly-warning");
    return JSON.stringify(warnings) === JSON.stringify(wanted);
  }, 30_000, 1000).catch((error) => fail(`${error.message}: drawn on ${warnings}`));
  await goToLine(1);
  return warnings;
}

/** The editor scrolled to its top, the lenses in view (opening the panel may scroll it). */
async function editorTop() {
  const box = await page.locator(".monaco-editor .view-lines").first().boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 100);
  await page.mouse.wheel(0, -5000);
  await page.waitForTimeout(300);
}

try {
  await page.goto(url);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await until("the explorer", async () => (await page.locator(".explorer-folders-view .monaco-list-row").count()) >= 1);
  await openFile(file);
  // The first start makes the server's environment with the hf extra: allow for it.
  const first = await until("the summary lens with counted tokens", async () => {
    const text = collapse(await lensArea.innerText());
    return / tokens · /.test(text) ? text : undefined;
  }, 600_000, 1000);
  await shot("workbench", { lens: first });

  // --- 2. the lenses: the target, the model, and the open-weight summary as the CLI's summary gives it
  const trl = expected.trl;
  const titles = await lensesShowing([trl.summary, `Model: ${trl.model}`, `Target: ${trl.name}`]);
  await shot("lenses", { lenses: titles });

  // --- 3. the over-long examples squiggled and in Problems at the lines the CLI gives
  const squiggles = await squigglesAs(trl.findings);
  const rows = await problemsAs(trl.findings, "trl");
  await editorTop();
  await shot("problems", { squiggles, rows });
  await page.keyboard.press("Control+Shift+M"); // closes the panel again (toggle)

  // --- 4. a hover on an over-long example: its tokens, message by message
  await page.locator(".monaco-editor .view-lines").first().click();
  await goToLine(1);
  const at = await page.evaluate((line) => {
    const number = [...document.querySelectorAll(".monaco-editor .line-numbers")]
      .find((element) => element.textContent.trim() === String(line));
    const text = document.querySelector(".monaco-editor .view-lines").getBoundingClientRect();
    if (!number) return null;
    const box = number.getBoundingClientRect();
    return { x: text.left + 260, y: box.top + box.height / 2 };
  }, hoverLine);
  if (!at) fail(`line ${hoverLine} is not on screen`);
  const hover = await until(`the hover of line ${hoverLine}`, async () => {
    await page.mouse.move(at.x, at.y - 30);
    await page.mouse.move(at.x, at.y, { steps: 4 });
    const box = page.locator(".monaco-hover", { hasText: `Example on line ${hoverLine}` }).first();
    await box.waitFor({ state: "visible", timeout: 4_000 });
    return collapse(await box.innerText());
  }, 30_000, 500);
  const missing = hoverWanted.filter((text) => !hover.includes(text));
  if (missing.length) fail(`the hover lacks ${JSON.stringify(missing)}:\n${hover}`);
  await shot("hover", { hover: hover.slice(0, 400) });
  await page.mouse.move(5, 450);
  await page.keyboard.press("Escape");

  // --- 5. a click on the Target lens, the server's question answered with axolotl
  const axolotl = expected.axolotl;
  const targetLens = lensArea.locator("a", { hasText: /^Target: / }).first();
  await until("a click on the Target lens", async () => (await targetLens.click({ timeout: 5_000 }), true));
  const question = collapse(await (await notification("Where will this file be trained?", 60_000)).innerText());
  const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "Where will this file be trained?" }).first();
  const choices = (await toast.locator(".monaco-button").allInnerTexts()).map(collapse).filter(Boolean);
  if (!choices.includes(axolotl.name)) fail(`the question offers no ${axolotl.name}: ${choices}`);
  await shot("target-question", { question, choices });
  await toast.locator(".monaco-button", { hasText: new RegExp(`^${axolotl.name}$`) }).first().click();
  const after = await lensesShowing([axolotl.summary, `Model: ${axolotl.model}`, `Target: ${axolotl.name}`]);
  const axolotlSquiggles = await squigglesAs(axolotl.findings);
  const axolotlRows = await problemsAs(axolotl.findings, "axolotl");
  await editorTop();
  await shot("target-axolotl", { lenses: after, squiggles: axolotlSquiggles, rows: axolotlRows });
} catch (error) {
  await failed(browser, page, artifacts, error);
}
await browser.close();
