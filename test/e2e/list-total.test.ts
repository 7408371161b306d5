// The session list's count in Chromium (issue 17 item 19): how many sessions match, from the
// first page's `total` when the server's index is complete, with the filters and live events;
// what is known ("50 shown, more as you scroll") without an index.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';

const rows = (page: Page) => page.getByRole('list', { name: 'Sessions' }).getByRole('link');
const countLine = (page: Page) => page.locator('.view-head .count').textContent();

/** 120 sessions on 2025-10-01, one a minute: every third one `exec` (40), the others `cli` (80). */
async function home(): Promise<string> {
  const dir = await tempHome();
  for (let i = 0; i < 120; i += 1) {
    const stamp = `2025-10-01T${String(8 + Math.floor(i / 60)).padStart(2, '0')}-${String(i % 60).padStart(2, '0')}-00`;
    await writeSession(dir, { stamp, id: uuidN(i + 1), title: `task ${i}`, source: i % 3 === 0 ? 'exec' : 'cli' });
  }
  return dir;
}

async function setSource(page: Page, value: string): Promise<void> {
  await page.getByLabel('Source', { exact: true }).selectOption(value);
}

describeBrowser('how many sessions the list shows', () => {
  const browser = useBrowser();

  it('says how many match when the index is complete, with the filters, as sessions arrive and once all are loaded', async () => {
    const dir = await home();
    const base = await serve(dir, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    await expect.poll(() => rows(page).count()).toBe(50);
    await expect.poll(() => countLine(page)).toBe('50 of 120 shown');
    await screenshot(page, 'sessions-total');

    await setSource(page, 'exec');
    await expect.poll(() => countLine(page)).toBe('40 sessions');
    await setSource(page, 'cli');
    await expect.poll(() => countLine(page)).toBe('50 of 80 shown');
    expect(page.url()).toContain('source=cli');

    // A new session arrives while the list is open: its row at the top, and the total counted again.
    await page.locator('.view-head .live-dot').waitFor();
    await writeSession(dir, { stamp: '2025-10-02T08-00-00', id: uuidN(500), title: 'arrived live', source: 'cli' });
    await expect.poll(() => rows(page).first().locator('.title').textContent()).toBe('arrived live');
    await expect.poll(() => countLine(page)).toBe('51 of 81 shown');
    // One without a user message yet is not listed, and not counted.
    await writeSession(dir, { stamp: '2025-10-02T09-00-00', id: uuidN(501), title: null, source: 'cli' });
    await writeSession(dir, { stamp: '2025-10-02T10-00-00', id: uuidN(502), title: 'exec, filtered out', source: 'exec' });
    await writeSession(dir, { stamp: '2025-10-02T11-00-00', id: uuidN(503), title: 'arrived after', source: 'cli' });
    await expect.poll(() => rows(page).first().locator('.title').textContent()).toBe('arrived after');
    await expect.poll(() => countLine(page)).toBe('52 of 82 shown');

    // Scrolled to the end, the rows are the count.
    for (let shown = 52; shown < 82; ) {
      await rows(page).last().scrollIntoViewIfNeeded();
      const before = shown;
      await expect.poll(async () => (shown = await rows(page).count())).toBeGreaterThan(before);
    }
    await expect.poll(() => countLine(page)).toBe('82 sessions');
    expect(pageErrors).toEqual([]);
  });

  it('says what is known without an index: "50 shown, more as you scroll", and the filtered list as it loads', async () => {
    const base = await serve(await home());
    const { page, pageErrors } = await watchedPage(browser);
    const totals: unknown[] = [];
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname === '/conversations') totals.push(((await r.json()) as { total?: number }).total);
    });
    await page.goto(base);
    await expect.poll(() => rows(page).count()).toBe(50);
    await expect.poll(() => countLine(page)).toBe('50 shown, more as you scroll');
    await setSource(page, 'exec');
    await expect.poll(() => countLine(page)).toBe('40 shown');
    expect(totals.length).toBeGreaterThan(0);
    expect(totals.every((t) => t === undefined)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
