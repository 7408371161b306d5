// Row 7 of the bench (SPEC §4, §8): in Chromium, the time from navigation to the first visible
// row of the session list. Each run uses a new browser context (an empty HTTP cache: a first
// visit). The time is the page's own clock (performance.now(), zero at navigation start) in the
// animation frame after the first row is in the document, so the driver's overhead is not in it.
/* global window, document, MutationObserver, requestAnimationFrame, performance -- page.evaluate callbacks run in Chromium */
import { existsSync } from 'node:fs';

// The full browser, not the headless shell the tests prefer (test/e2e/chromium.ts): this row times what a
// user's Chromium does, and its figures since the first bench were taken with it (docs/testing.md, testspeed11).
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Median and runs in ms, or `{ skipped }` with the reason when Chromium (or playwright-core) is missing. */
export async function dashboardFirstRow(url, { runs = 3 } = {}) {
  if (!existsSync(CHROMIUM)) return { skipped: `skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const times = [];
  try {
    for (let i = 0; i < runs; i += 1) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      await page.addInitScript(() => {
        new MutationObserver((_records, observer) => {
          if (!document.querySelector('.rows .row-link')) return;
          observer.disconnect();
          requestAnimationFrame(() => (window.__firstRowMs = performance.now()));
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(url);
      await page.waitForFunction(() => window.__firstRowMs !== undefined, null, { timeout: 60_000 });
      times.push(await page.evaluate(() => window.__firstRowMs));
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], runs: times };
}
