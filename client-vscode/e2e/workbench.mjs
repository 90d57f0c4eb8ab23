// The workbench helpers the end-to-end drives share: a headless Chromium on a code-server
// page, a numbered screenshot per step (one JSON line each on stdout), bounded waits, the
// palette, quick picks, notifications, the editor's lines as drawn, and the side bar's views.
import { chromium } from "playwright-core";
import { join } from "node:path";

export async function openBrowser(browserPath) {
  const browser = await chromium.launch({
    executablePath: browserPath || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  return { browser, page };
}

// A drive's end after a failed step: the screen as it was (and what `keep` saves), the error, exit 1.
export async function failed(browser, page, artifacts, error, keep = async () => {}) {
  await page.screenshot({ path: join(artifacts, "failure.png") }).catch(() => undefined);
  await keep().catch(() => undefined);
  console.log(`FAILED: ${error.stack ?? error}`);
  await browser.close();
  process.exit(1);
}

export function workbench(page, artifacts) {
  const started = Date.now();
  let count = 0;

  async function shot(step, details = {}) {
    count += 1;
    const screenshot = `${String(count).padStart(2, "0")}-${step}.png`;
    await page.screenshot({ path: join(artifacts, screenshot) });
    console.log(JSON.stringify({ step, screenshot, seconds: Math.round((Date.now() - started) / 1000), ...details }));
  }

  function fail(message) {
    throw new Error(message);
  }

  async function until(what, probe, timeout = 30_000, every = 250) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      last = await probe().catch((error) => (console.error(`(${what}: ${error.message.split("\n")[0]})`), undefined));
      if (last) return last;
      await page.waitForTimeout(every);
    }
    fail(`timed out after ${timeout / 1000} s waiting for ${what}`);
  }

  // ------------------------------------------------------------------ workbench helpers
  async function palette(title) {
    const input = page.locator(".quick-input-widget input");
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    // Opening and typing is one step, retried whole: the extension may reveal a view or a
    // webview just then (after a job starts, for example), which closes the palette under us.
    await until(`the command palette showing "${title}"`, async () => {
      await page.keyboard.press("Escape");
      await page.keyboard.press("F1");
      if (!(await input.isVisible())) {
        await page.waitForTimeout(500);
        if (!(await input.isVisible())) {
          // Keys go to a webview (the chart) when it has the focus: give it back to the workbench.
          await page.locator(".part.titlebar").click({ position: { x: 300, y: 10 }, timeout: 2_000 }).catch(() => undefined);
          return false;
        }
      }
      await input.fill(`>${title}`, { timeout: 3_000 });
      await row.waitFor({ state: "visible", timeout: 5_000 });
      await row.click({ timeout: 3_000 }); // a click that fails ran nothing: retrying is safe
      return true;
    }, 45_000, 250);
  }

  /** Waits for a quick pick row whose label contains `text` and picks it. */
  async function pickRow(text) {
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: text }).first();
    await row.waitFor({ state: "visible", timeout: 30_000 });
    await row.click();
  }

  /** The quick input once its title, placeholder or prompt shows `text`. */
  async function quickInput(text) {
    const widget = page.locator(".quick-input-widget");
    const input = widget.locator("input");
    await until(`the quick input "${text}"`, async () =>
      (await widget.innerText()).includes(text) || ((await input.getAttribute("placeholder")) ?? "").includes(text));
    return input;
  }

  async function openFile(name, { focus = true } = {}) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+P");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill(name);
    await pickRow(name);
    await until(`${name} open`, async () => (await page.title()).startsWith(name));
    if (focus) await page.locator(".monaco-editor .view-lines").first().click();
  }

  async function goToLine(line) {
    await page.keyboard.press("Control+G");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill(`:${line}`);
    await page.keyboard.press("Enter");
    await page.waitForTimeout(200);
  }

  /** The editor's logical lines on screen: each line number with its rows' tops and bottom. */
  function linesOnScreen() {
    const editor = document.querySelector(".monaco-editor");
    const numbers = [...editor.querySelectorAll(".line-numbers")]
      .map((element) => ({ line: Number(element.textContent.trim()), top: element.getBoundingClientRect().top - 2 }))
      .filter((item) => item.line > 0).sort((a, b) => a.top - b.top);
    return numbers.map((item, index) => ({ ...item, bottom: numbers[index + 1]?.top ?? Infinity }));
  }

  /** The line numbers of the decorations matching `selector`, from where they are drawn. */
  async function decoratedLines(selector) {
    await page.evaluate(`window.linesOnScreen = ${linesOnScreen}`); // the page's own code, not eval (its CSP)
    return page.evaluate((selector) => {
      const lines = window.linesOnScreen();
      const found = new Set();
      for (const decoration of document.querySelector(".monaco-editor").querySelectorAll(selector)) {
        const top = decoration.getBoundingClientRect().top;
        const owner = lines.find((item) => top >= item.top && top < item.bottom);
        if (owner) found.add(owner.line);
      }
      return [...found].sort((a, b) => a - b);
    }, selector);
  }

  /** decoratedLines over the whole (short) file: its top, then its end scrolled into view. */
  async function scanLines(selector) {
    const lines = new Set();
    for (const line of [1, 8, "end"]) {
      if (line === "end") await page.keyboard.press("Control+End");
      else await goToLine(line);
      await page.waitForTimeout(300);
      for (const found of await decoratedLines(selector)) lines.add(found);
    }
    return [...lines].sort((a, b) => a - b);
  }

  /** The text of a line as shown (all its wrapped rows, inlay hints included). */
  async function lineText(line) {
    await page.evaluate(`window.linesOnScreen = ${linesOnScreen}`);
    return page.evaluate((line) => {
      const owner = window.linesOnScreen().find((item) => item.line === line);
      if (!owner) return null;
      return [...document.querySelector(".monaco-editor").querySelectorAll(".view-lines .view-line")]
        .map((element) => ({ top: element.getBoundingClientRect().top, text: element.textContent }))
        .filter((row) => row.top >= owner.top && row.top < owner.bottom).sort((a, b) => a.top - b.top)
        .map((row) => row.text).join("").replace(/\u00a0/g, " ");
    }, line);
  }

  async function notification(text, timeout = 60_000) {
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
    await toast.waitFor({ state: "visible", timeout });
    await page.waitForTimeout(500); // the toast slides in: screenshots after it settles
    return toast;
  }

  async function clearNotifications() {
    await palette("Notifications: Clear All Notifications");
    await until("no notifications", async () => (await page.locator(".notifications-toasts .notification-toast").count()) === 0, 5_000);
  }

  async function webviewFrame() {
    for (const frame of page.frames()) {
      const points = await frame.evaluate(() => document.body?.dataset?.points ?? null).catch(() => null);
      if (points !== null) return { frame, points: Number(points) };
    }
    return undefined;
  }

  /** The chart's text colour (its CSS value and relative luminance, 0 dark to 1 light). */
  async function chartTextColor(frame) {
    const css = await frame.evaluate(() => getComputedStyle(document.querySelector("svg text.title")).fill);
    const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? ["0", "0", "0"]).map(Number);
    return { css, luminance: (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 };
  }

  async function jobsViewText() {
    const view = page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Jobs" }) }).first();
    return (await view.innerText()).replace(/\s+/g, " ");
  }

  /** The text of one view of the side bar (by its title), whitespace collapsed. */
  async function viewText(title) {
    const view = page.locator(".pane", { has: page.locator(".pane-header", { hasText: title }) }).first();
    return (await view.innerText()).replace(/\s+/g, " ");
  }

  /** Right-clicks the row of a view that shows `text` and picks `action` from its context
   * menu; without an action, leaves the menu open and gives its entries. */
  async function contextMenu(title, text, action) {
    const view = page.locator(".pane", { has: page.locator(".pane-header", { hasText: title }) }).first();
    const row = view.locator(".monaco-list-row", { hasText: text }).first();
    await row.waitFor({ state: "visible", timeout: 30_000 });
    await row.click({ button: "right" });
    if (!action) {
      const entries = page.locator(".context-view .action-menu-item");
      await entries.first().waitFor({ state: "visible", timeout: 10_000 });
      return (await entries.allInnerTexts()).map((entry) => entry.trim());
    }
    const item = page.locator(".context-view .action-menu-item", { hasText: action }).first();
    await item.waitFor({ state: "visible", timeout: 10_000 });
    // A menu ignores the mouse for a moment after it opens: hover first, click again if it stays.
    await item.hover();
    await page.waitForTimeout(300);
    for (let tries = 0; tries < 3 && (await item.isVisible().catch(() => false)); tries += 1) {
      await item.click({ timeout: 5_000 }).catch(() => undefined);
      await page.waitForTimeout(500);
    }
  }

  /** The active diff editor: its tab's title and both sides' texts as drawn (whitespace
   * collapsed), or undefined while none is shown. Side by side, the original is the left
   * editor; inline (a narrow group), its lines are the deleted ones drawn in the modified editor. */
  async function diffEditorTexts() {
    const group = page.locator(".editor-group-container.active");
    const diff = group.locator(".monaco-diff-editor").first();
    if (!(await diff.isVisible().catch(() => false))) return undefined;
    const text = async (locator) => (await locator.allInnerTexts()).join(" ").replace(/\s+/g, " ").trim();
    const original = await text(diff.locator(".editor.original .lines-content > .view-lines"))
      || await text(diff.locator(".editor.modified .view-zones"));
    const modified = await text(diff.locator(".editor.modified .lines-content > .view-lines"));
    const title = (await group.locator(".tab.active").first().innerText()).trim();
    return { title, original, modified };
  }

  return { shot, fail, until, palette, pickRow, quickInput, openFile, goToLine, decoratedLines, scanLines, lineText,
           notification, clearNotifications, webviewFrame, chartTextColor, jobsViewText, viewText, contextMenu,
           diffEditorTexts };
}
