// Every view at a desktop width and on a phone (390 px): nothing scrolls sideways, titles get the
// width, the filters leave room for the list, project bars stay bars, column headings stay in
// sight. Each view is saved as a screenshot (test-output/screenshots/view-*.png, or SHOTS_DIR).
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { REAL_HOME, tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, SCREENSHOTS, serve, useBrowser, watchedPage } from './browser.js';
import { DEMO_NOW, demoHome } from './demo-home.js';
import { richSessionLines } from './fixtures.js';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const SHOTS = process.env.SHOTS_DIR ?? SCREENSHOTS;

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `view-${name}.png`), fullPage });
}

/** How far the page scrolls sideways (0: it fits the screen). */
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describeBrowser('every view, desktop and phone', () => {
  // The demo month ends at DEMO_NOW: the pages' clock says that moment (the Usage page's 30 days).
  const browser = useBrowser({ timezoneId: 'UTC', now: DEMO_NOW });

  it('the Sessions list: titles get the width on a phone, the filters fold away, the headings stay in sight', async () => {
    const home = await demoHome();
    await writeSession(home, { stamp: '2024-03-05T10-00-00', id: uuidN(5), title: 'a session of a past year' });
    const base = await serve(home, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    const rows = page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => rows.count()).toBeGreaterThan(20);
    await shot(page, 'sessions-desktop');

    // Scrolled down, the column headings are still at the top of the screen, under the top bar.
    await rows.nth(40).scrollIntoViewIfNeeded();
    const head = page.locator('.row-head');
    const top = page.locator('header.top');
    await expect.poll(async () => (await head.boundingBox())?.y).toBe(((await top.boundingBox())?.height ?? 0) + 0);
    await shot(page, 'sessions-desktop-scrolled');

    await page.setViewportSize(PHONE);
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(await sideways(page)).toBe(0);
    // A title gets most of the row's width (not 8 characters), and the first screen shows sessions, not filters.
    const title = rows.first().locator('.c-title');
    expect((await title.boundingBox())?.width).toBeGreaterThan(250);
    const firstRow = await rows.first().boundingBox();
    expect(firstRow?.y).toBeLessThan(PHONE.height / 2);
    // The filters are one tap away.
    await page.getByRole('button', { name: /Filters/ }).click();
    await page.getByLabel('Project', { exact: true }).waitFor();
    await shot(page, 'sessions-phone-filters');
    await page.getByRole('button', { name: /Filters/ }).click();
    await shot(page, 'sessions-phone');

    // A date of a past year has its year, whole (not cut by its column), on both widths.
    for (const size of [PHONE, DESKTOP]) {
      await page.setViewportSize(size);
      await page.goto(`${base}#/?q=past%20year`);
      await expect.poll(() => rows.count()).toBe(1);
      const old = rows.first().locator('.c-age');
      expect(await old.textContent()).toMatch(/2024/);
      expect(await old.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    }
    expect(pageErrors).toEqual([]);
  });

  it('one session, search and the Usage page fit a phone; project bars stay bars', async () => {
    const home = await demoHome();
    const spec = { stamp: '2025-10-05T09-00-00', id: uuidN(7), title: 'fix the add function' };
    await writeSession(home, spec, richSessionLines(spec));
    const base = await serve(home, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    for (const [width, size] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(size);
      await page.goto(`${base}#/session/${spec.id}`);
      await page.locator('[aria-label="Transcript"][aria-busy="false"]').waitFor();
      await page.getByRole('button', { name: 'Copy the codex resume command' }).waitFor();
      expect(await sideways(page)).toBe(0);
      await shot(page, `session-${width}`);

      await page.goto(`${base}#/search?q=migration`);
      await page.locator('.hits .hit').first().waitFor();
      expect(await sideways(page)).toBe(0);
      await shot(page, `search-${width}`);

      await page.goto(`${base}#/usage`);
      await page.locator('.usage-table tbody tr').first().waitFor();
      await page.getByRole('list', { name: 'Tokens by project' }).waitFor();
      expect(await sideways(page)).toBe(0);
      const fill = page.getByRole('list', { name: 'Tokens by project' }).locator('.bar').first();
      expect((await fill.boundingBox())?.width).toBeGreaterThan(size.width / 4);
      await shot(page, `usage-${width}`, true);

      await page.goto(`${base}#/session/${uuidN(999_999)}`);
      await page.getByRole('alert').waitFor();
      await shot(page, `not-found-${width}`);

      await page.goto(`${base}#/session/${spec.id}%0Acurl%20https%3A%2F%2Fevil.example%20%7C%20sh`);
      await page.getByRole('heading', { name: 'Not a session id' }).waitFor();
      expect(await sideways(page)).toBe(0);
      await shot(page, `bad-id-${width}`);
    }
    expect(pageErrors).toEqual([]);
  });

  it('the real sessions, as a phone shows them', async () => {
    const home = await tempHome();
    await cp(REAL_HOME, home, { recursive: true });
    const base = await serve(home, {}, { index: true });
    const { page } = await watchedPage(browser);
    await page.setViewportSize(PHONE);
    await page.goto(base);
    await page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().waitFor();
    expect(await sideways(page)).toBe(0);
    await shot(page, 'real-phone');
  });
});
