// The Usage page in the states a real home puts it in (issue 17, items 11 and 19): while the
// server counts or builds its index, when it answers 503 with Retry-After, when no model used has
// a price, and with more rows than one screen should draw.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { expect, it } from 'vitest';
import type { IndexProgress, Readiness } from '../../web/src/api/types.js';
import { tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';
import { spendingLines, type Spend } from './fixtures.js';

/** Sessions on fixed days of October 2025 (the page is opened with range=all: no dependence on today). */
async function homeWith(sessions: { model: string; input: number; output: number }[]): Promise<{ home: string; paths: string[] }> {
  const home = await tempHome();
  const paths: string[] = [];
  for (const [i, s] of sessions.entries()) {
    const minute = String(i % 60).padStart(2, '0');
    const hour = String(8 + Math.floor(i / 60)).padStart(2, '0');
    const spec = { stamp: `2025-10-0${1 + (i % 3)}T${hour}-${minute}-00`, id: uuidN(i + 1), title: `session ${i}` };
    const spend: Spend = { at: `2025-10-0${1 + (i % 3)}T${hour}:${minute}:30.000Z`, ...s };
    paths.push(join(home, await writeSession(home, spec, spendingLines(spec, [spend]))));
  }
  return { home, paths };
}

const PHONE = { width: 390, height: 844 };
const status = (page: Page) => page.getByRole('status');
const tableRows = (page: Page) => page.locator('.usage-table tbody tr');

describeBrowser('the Usage page, waiting and edge cases', () => {
  const browser = useBrowser({ timezoneId: 'UTC' });

  it('shows a spinner while the server counts, with the index build progress from /readyz, then the report', async () => {
    const { home } = await homeWith([{ model: 'gpt-5-codex', input: 1_000, output: 100 }]);
    const base = await serve(home, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    // The index here completes at once: /readyz is answered as during a first build (the state
    // cannot be held from outside), and /usage is held until the test lets it through.
    const building: IndexProgress = {
      state: 'building',
      reason: null,
      complete: false,
      filesInIndex: 900,
      filesCheckedThisPass: 1234,
      lastPassMs: null,
    };
    await page.route('**/readyz', (route) =>
      route.fulfill({ status: 200, json: { status: 'ready', degraded: [], index: building } satisfies Readiness }),
    );
    const held: Route[] = [];
    await page.route('**/usage?*', (route) => void held.push(route));
    await page.goto(`${base}#/usage?range=all`);
    await status(page).filter({ hasText: 'Counting usage…' }).waitFor();
    await status(page).filter({ hasText: 'Building the index: 1,234 session files read so far.' }).waitFor();
    expect(await page.locator('.spinner').isVisible()).toBe(true);
    await screenshot(page, 'usage-counting');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'usage-counting-phone');
    await page.unroute('**/usage?*');
    for (const route of held.splice(0)) await route.continue();
    await tableRows(page).first().waitFor();
    expect(await status(page).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('after a 503 says what the server said and asks again after its Retry-After, by itself', async () => {
    // Without an index the server reads at most --max-scan-files files for /usage; beyond, 503 with Retry-After: 30.
    const { home, paths } = await homeWith([
      { model: 'gpt-5-codex', input: 1_000, output: 100 },
      { model: 'gpt-5-codex', input: 2_000, output: 200 },
      { model: 'gpt-5-codex', input: 3_000, output: 300 },
    ]);
    const base = await serve(home, { maxScanFiles: 2 });
    const { page, pageErrors } = await watchedPage(browser);
    await page.clock.install();
    const answers: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/usage') answers.push(r.status());
    });
    await page.goto(`${base}#/usage?range=all`);
    await status(page).filter({ hasText: 'Usage is not available yet.' }).waitFor();
    await status(page).filter({ hasText: 'retry later. Asking again in 30 s.' }).waitFor();
    expect(answers).toContain(503);
    expect(await page.getByRole('alert').count()).toBe(0); // a wait, not an error
    await screenshot(page, 'usage-503');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'usage-503-phone');
    // Nothing is asked again before the time the server named.
    const asked = answers.length;
    await page.clock.runFor(20_000);
    expect(answers.length).toBe(asked);
    // The home gets small enough to read; once the 30 s are over the page asks again and shows the report.
    await rm(paths[2] as string);
    await page.clock.runFor(11_000);
    await tableRows(page).first().waitFor();
    expect(await status(page).count()).toBe(0);
    expect(await page.getByLabel('Totals').textContent()).toContain('3.3K tokens');
    expect(pageErrors).toEqual([]);
  });

  it('says so when no model used has a price, rather than draw an empty cost chart; the legend shows totals', async () => {
    const { home } = await homeWith([
      { model: 'local-llm', input: 300_000, output: 30_000 },
      { model: 'mock-model', input: 1_000, output: 100 },
    ]);
    const base = await serve(home, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(`${base}#/usage?range=all`);
    await tableRows(page).first().waitFor();
    await page.getByText('No cost to draw: none of the models used in these days has a price (local-llm, mock-model).').waitFor();
    expect(await page.getByRole('img', { name: 'Cost per day, stacked by model' }).count()).toBe(0);
    // With the pointer off the bars, the legend shows the period's totals, not "Day:" and empty values.
    const legend = page.getByRole('img', { name: 'Tokens per day, stacked by model' }).locator('.u-legend .u-series');
    await expect.poll(() => legend.first().locator('.u-label').textContent()).toBe('Total');
    expect(await legend.first().locator('.u-value').textContent()).toMatch(/^\d+ days$/);
    const models = await legend.evaluateAll((rows) =>
      rows.slice(1).map((r) => `${r.querySelector('.u-label')?.textContent}: ${r.querySelector('.u-value')?.textContent}`),
    );
    expect(models).toEqual(['local-llm: 330K', 'mock-model: 1.1K']);
    await screenshot(page, 'usage-unpriced', true);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'usage-unpriced-phone', true);
    expect(pageErrors).toEqual([]);
  });

  it('pages the table 100 rows at a time (130 sessions grouped by session), headings sticky', async () => {
    const { home } = await homeWith(Array.from({ length: 130 }, (_, i) => ({ model: 'gpt-5-codex', input: 1_000 + i, output: 10 })));
    const base = await serve(home, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(`${base}#/usage?range=all&group=session`);
    await page.getByText('Rows 1–100 of 130').waitFor();
    expect(await tableRows(page).count()).toBe(100);
    // The headings stay in sight under the top bar as the table scrolls.
    await tableRows(page).nth(90).scrollIntoViewIfNeeded();
    const heading = page.locator('.usage-table thead th').first();
    await expect.poll(async () => (await heading.boundingBox())?.y).toBe((await page.locator('header.top').boundingBox())?.height);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.getByText('Rows 101–130 of 130').waitFor();
    expect(await tableRows(page).count()).toBe(30);
    expect(await page.getByRole('button', { name: 'Next ›' }).isDisabled()).toBe(true);
    // Another grouping starts at its first page.
    await page.getByLabel('Group by').selectOption('model');
    await expect.poll(() => tableRows(page).count()).toBe(1);
    expect(await page.locator('.pager').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
