// The Usage page in Chromium (GET /usage, SPEC §6, §8): tokens and cost per day stacked by model
// in the browser's time zone, the by-project view, the table beneath with its groupings, and
// models without a price shown as such (never as $0). Also the cost column of the Sessions list.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { UsageReport } from '../../web/src/api/types.js';
import { tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';
import { DEMO_NOW, demoHome } from './demo-home.js';
import { spendingLines, type Spend } from './fixtures.js';

/** Tokyo has no daylight saving: 9:00 there is 0:00 UTC all year, so a day there is easy to aim at. */
const TZ = 'Asia/Tokyo';
const dayIn = (ms: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
const minusDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const tokyo = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00+09:00`).toISOString();

/** The pages' clock (and the demo's): the days below never depend on the day the tests run. */
const NOW = DEMO_NOW;
const TODAY = dayIn(NOW);
const D2 = minusDays(TODAY, 2);
const D1 = minusDays(TODAY, 1);

/**
 * Three sessions over two days (Tokyo). Prices (USD per 1M, input / cached / output):
 * gpt-5-codex 1.25 / 0.125 / 10, o3 2 / 0.5 / 8; local-llm has none.
 * - alpha, day D2: gpt-5-codex 1,000,000 in (400,000 cached) + 100,000 out = $1.80;
 *   o3 500,000 in + 25,000 out = $1.20.
 * - beta-local, 05:30 on D1 in Tokyo (20:30 on D2 in UTC): local-llm 300,000 + 30,000, no price.
 * - beta, D1: gpt-5-codex 200,000 + 20,000 = $0.45.
 */
const SESSIONS: { id: string; title: string; cwd: string; spends: Spend[] }[] = [
  {
    id: uuidN(1),
    title: 'alpha work',
    cwd: '/w/alpha',
    spends: [
      { at: tokyo(D2, '10:00'), model: 'gpt-5-codex', input: 1_000_000, cached: 400_000, output: 100_000 },
      { at: tokyo(D2, '11:00'), model: 'o3', input: 500_000, output: 25_000 },
    ],
  },
  {
    id: uuidN(2),
    title: 'beta on a local model',
    cwd: '/w/beta',
    spends: [{ at: tokyo(D1, '05:30'), model: 'local-llm', input: 300_000, output: 30_000 }],
  },
  {
    id: uuidN(3),
    title: 'beta work',
    cwd: '/w/beta',
    spends: [{ at: tokyo(D1, '12:00'), model: 'gpt-5-codex', input: 200_000, output: 20_000 }],
  },
];

const stampBefore = (iso: string) => new Date(Date.parse(iso) - 60_000).toISOString().slice(0, 19).replaceAll(':', '-');

async function spendingHome(): Promise<string> {
  const home = await tempHome();
  for (const s of SESSIONS) {
    const spec = { stamp: stampBefore((s.spends[0] as Spend).at), id: s.id, title: s.title, cwd: s.cwd };
    await writeSession(home, spec, spendingLines(spec, s.spends));
  }
  return home;
}

/** The table's rows as text: [group, sessions, total tokens, cost]. */
async function tableRows(page: Page): Promise<string[][]> {
  const cells = await page
    .locator('.usage-table tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
  return cells.map((c) => [c[0], c[1], c[6], c[7]] as string[]);
}

/** How many pixels of the chart's canvas have this colour (its bars), to tell a drawn chart from an empty one. */
function pixelsOf(page: Page, label: string, rgb: [number, number, number]): Promise<number> {
  return page.getByRole('img', { name: label }).evaluate((el, [r, g, b]) => {
    const canvas = el.querySelector('canvas') as HTMLCanvasElement;
    const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n += 1;
    return n;
  }, rgb);
}

const BLUE: [number, number, number] = [0x4f, 0x8f, 0xf7]; // the first model's colour (gpt-5-codex: the most tokens)
const ORANGE: [number, number, number] = [0xf2, 0x99, 0x4a]; // the second's

describeBrowser('the Usage page', () => {
  const browser = useBrowser({ timezoneId: TZ, now: NOW });

  it('charts tokens and cost per day by model in the browser time zone, by project, with the table beneath', async () => {
    const base = await serve(await spendingHome(), {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    const usageRequests: URL[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/usage') usageRequests.push(url);
    });
    await page.goto(base);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
    await page.locator('.usage-table tbody tr').first().waitFor();

    // Every report is asked in the browser's zone, for the last 30 days of it; the table grouped
    // by day is the charts' report.
    const reports = usageRequests.filter((u) => u.searchParams.has('since'));
    expect(reports.map((u) => u.searchParams.get('groupBy')).sort()).toEqual(['cwd', 'day']);
    for (const u of reports) {
      expect(u.searchParams.get('tz')).toBe(TZ);
      expect([u.searchParams.get('since'), u.searchParams.get('until')]).toEqual([minusDays(TODAY, 29), TODAY]);
    }
    await page.getByText(`(${TZ})`).waitFor();

    // Days in Tokyo: the local model's response (20:30 UTC on D2) is on D1. In UTC, D2 would hold 1,955,000.
    expect(await tableRows(page)).toEqual([
      [D2, '1', '1,625,000', '$3.00'],
      [D1, '2', '550,000', '$0.450+'],
    ]);
    const partial = page.locator('.usage-table tbody tr').nth(1).locator('.cost');
    expect(await partial.getAttribute('title')).toBe('estimated cost, without local-llm (no price)');
    expect(await page.locator('.usage-table tfoot').textContent()).toContain('2,175,000');
    // The same report, straight from the API: what the table shows is what the server counted.
    const query = new URLSearchParams({ groupBy: 'day', tz: TZ, since: D2, until: TODAY });
    const api = (await (await fetch(`${base}usage?${query}`)).json()) as UsageReport;
    expect(api.rows.map((r) => [r.key, r.totalTokens, r.costUSD])).toEqual([
      [D2, 1_625_000, 3],
      [D1, 550_000, 0.45],
    ]);
    expect(api.unpricedModels).toEqual(['local-llm']);

    // Totals: the unpriced model is named, and the cost says it leaves it out.
    const totals = page.getByLabel('Totals');
    expect(await totals.textContent()).toContain('2.2M tokens');
    expect(await totals.locator('.cost').textContent()).toBe('$3.45+');
    await totals.getByText('No price for local-llm: not in the cost.').waitFor();

    // Charts: bars drawn (in the first two models' colours), a legend of the models; the cost chart
    // leaves out the model without a price rather than draw it as $0.
    const legend = (label: string) =>
      page.getByRole('img', { name: label }).locator('.u-legend .u-series:not(:first-child) .u-label').allTextContents();
    expect((await legend('Tokens per day, stacked by model')).sort()).toEqual(['gpt-5-codex', 'local-llm', 'o3']);
    expect((await legend('Cost per day, stacked by model')).sort()).toEqual(['gpt-5-codex', 'o3']);
    await page.getByText('Not drawn: local-llm (no price).').waitFor();
    for (const chart of ['Tokens per day, stacked by model', 'Cost per day, stacked by model']) {
      await expect.poll(() => pixelsOf(page, chart, BLUE)).toBeGreaterThan(100);
      expect(await pixelsOf(page, chart, ORANGE)).toBeGreaterThan(100);
    }

    // By project: bars, largest first, each leading to its sessions.
    const bars = page.getByRole('list', { name: 'Tokens by project' }).locator('li');
    expect(await bars.allTextContents()).toEqual(['alpha1.6M · $3.00', 'beta550K · $0.450+']);
    await screenshot(page, 'usage', true);

    // The table by model and by project.
    const groupBy = page.getByLabel('Group by');
    await groupBy.selectOption('model');
    await expect.poll(() => tableRows(page)).toEqual([
      ['gpt-5-codex', '2', '1,320,000', '$2.25'],
      ['o3', '1', '525,000', '$1.20'],
      ['local-llm', '1', '330,000', 'no price'],
    ]);
    expect(page.url()).toContain('group=model');
    await groupBy.selectOption('cwd');
    await expect.poll(() => tableRows(page)).toEqual([
      ['alpha', '1', '1,625,000', '$3.00'],
      ['beta', '2', '550,000', '$0.450+'],
    ]);
    await page.locator('.usage-table').getByRole('link', { name: 'beta' }).click();

    // The Sessions list of that project, with the cost of each session (item.usage.costUSD).
    await page.waitForURL(/#\/\?cwd=%2Fw%2Fbeta$/);
    const rows = page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => rows.locator('.title').allTextContents()).toEqual(['beta work', 'beta on a local model']);
    expect(await rows.locator('.c-cost').allTextContents()).toEqual(['$0.450', 'no price']);
    expect(await rows.nth(1).locator('.c-cost').getAttribute('title')).toBe('330,000 tokens; no price for local-llm');
    expect(await page.getByLabel('Project', { exact: true }).inputValue()).toBe('/w/beta');
    expect(pageErrors).toEqual([]);
  });

  it('changes the period, and says so when nothing was spent in it', async () => {
    const base = await serve(await spendingHome());
    const { page } = await watchedPage(browser);
    await page.goto(`${base}#/usage?range=7`);
    await page.locator('.usage-table tbody tr').first().waitFor();
    expect(await page.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByText(`${minusDays(TODAY, 6)} – ${TODAY}`).waitFor();
    const empty = await serve(await tempHome());
    await page.goto(`${empty}#/usage`);
    await page.getByText('No token usage in these days.').waitFor();
    expect(await page.getByLabel('Totals').locator('.cost').textContent()).toBe('$0');
  });

  it('shows a month of demo use (the screenshot of the README)', async () => {
    const base = await serve(await demoHome(NOW), {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(`${base}#/usage`);
    await page.locator('.usage-table tbody tr').first().waitFor();
    await expect.poll(() => pixelsOf(page, 'Tokens per day, stacked by model', BLUE)).toBeGreaterThan(100);
    expect(await page.locator('.usage-table tbody tr').count()).toBeGreaterThan(15);
    await screenshot(page, 'usage-demo', true);
    await page.goto(base);
    const rows = page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(50);
    // Every row has a cost (the index counted them all); the local model's sessions have no price.
    const costs = await rows.locator('.c-cost').allTextContents();
    expect(costs.every((c) => /^\$\d/.test(c) || c === 'no price')).toBe(true);
    await screenshot(page, 'sessions-demo');
    expect(pageErrors).toEqual([]);
  });
});
