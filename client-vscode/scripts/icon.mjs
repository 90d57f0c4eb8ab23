// Remakes media/icon.png (128x128 PNG, the Marketplace and Open VSX icon: vsce refuses SVG
// icons) from media/icon.svg, rendered by headless Chromium through playwright-core.
//   node scripts/icon.mjs   (Chromium: FINETUNE_VSCODE_CHROMIUM, default /usr/bin/chromium)
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const media = join(dirname(fileURLToPath(import.meta.url)), '..', 'media');
const svg = readFileSync(join(media, 'icon.svg'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.FINETUNE_VSCODE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const out = join(media, 'icon.png');
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`${out}: ${statSync(out).size} bytes`);
} finally {
  await browser.close();
}
