import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import { MODES, appFor, tempHome } from '../helper.js';
import { eventually } from '../net.js';
import type { UsageReport } from '../../src/rollout/usage/usage-report.js';
import { tokenCount, u } from '../usage-lines.js';
import { DAYS_UTC, EXPECTED, TREE, writeUsageTree, type TreeSession } from './usage-tree.js';

type Report = UsageReport;

const SESSIONS = Object.keys(TREE) as TreeSession[];
const total = (only: (s: TreeSession) => boolean = () => true) =>
  SESSIONS.filter(only).reduce((sum, s) => sum + EXPECTED[s][4], 0);

async function usage(app: FastifyInstance, query = ''): Promise<Report> {
  const res = await app.inject(`/usage${query}`);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json() as Report;
}

const keysAndTotals = (r: Report) => r.rows.map((row) => [row.key, row.totalTokens, row.sessions]);

describe.each(MODES)('GET /usage over a tree with every counting rule ($mode)', ({ index }) => {
  // A tree and an app for each test (the helpers remove and close them after it).
  let app: FastifyInstance;
  beforeEach(async () => {
    const home = await tempHome();
    await writeUsageTree(home);
    app = await appFor(home, index);
  });

  it('counts each session exactly once, forks and copies included (groupBy=session)', async () => {
    const report = await usage(app, '?groupBy=session');
    const byId = new Map(report.rows.map((r) => [r.key, r]));
    for (const s of SESSIONS) {
      const [input, cached, output, reasoning, totalTokens] = EXPECTED[s];
      const row = byId.get(TREE[s]);
      if (totalTokens === 0) {
        expect(row, s).toBeUndefined(); // a session without usage has no row
        continue;
      }
      expect([row!.inputTokens, row!.cachedInputTokens, row!.outputTokens, row!.reasoningOutputTokens, row!.totalTokens], s).toEqual([
        input,
        cached,
        output,
        reasoning,
        totalTokens,
      ]);
      expect(row!.sessions).toBe(1);
    }
    expect(report.totals.totalTokens).toBe(total());
    // Rows other than time groups: by total tokens, largest first.
    expect(report.rows.map((r) => r.totalTokens)).toEqual(report.rows.map((r) => r.totalTokens).sort((a, b) => b - a));
    expect(report.pricing.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(report.pricing.source).not.toBe('');
  });

  it('splits days by each response time in the requested zone (midnight in New York and Tokyo)', async () => {
    const utc = await usage(app, '?groupBy=day');
    expect(utc).toMatchObject({ groupBy: 'day', tz: 'UTC', rowsOmitted: 0 });
    expect(keysAndTotals(utc)).toEqual(DAYS_UTC);
    expect(keysAndTotals(await usage(app, '?groupBy=day&tz=America/New_York')).slice(-1)).toEqual([['2025-10-05', 3300, 1]]);
    expect(keysAndTotals(await usage(app, '?groupBy=day&tz=Asia/Tokyo')).slice(-1)).toEqual([['2025-10-06', 3300, 1]]);
    // Days ascending whatever their size; the totals are the same in every zone.
    expect((await usage(app, '?groupBy=day&tz=Asia/Tokyo')).totals).toEqual(utc.totals);
  });

  it('groups by ISO week and month', async () => {
    expect(keysAndTotals(await usage(app, '?groupBy=week'))).toEqual([
      ['2025-W40', 9865 + 7100 + 4300 + 14850 + 1100, 10],
      ['2025-W41', 2200, 1],
    ]);
    expect(keysAndTotals(await usage(app, '?groupBy=week&tz=Asia/Tokyo')).map(([k, t]) => [k, t])).toEqual([
      ['2025-W40', 9865 + 7100 + 4300 + 14850],
      ['2025-W41', 3300],
    ]);
    expect(keysAndTotals(await usage(app, '?groupBy=month'))).toEqual([['2025-10', total(), 10]]);
  });

  it('groups by model: an unknown model has no cost and is listed, never $0', async () => {
    const report = await usage(app, '?groupBy=model');
    const local = report.rows.find((r) => r.key === 'my-local-model')!;
    expect(local.costUSD).toBeNull();
    expect(report.unpricedModels).toEqual(['my-local-model']);
    const gpt5 = report.rows.find((r) => r.key === 'gpt-5')!;
    expect(gpt5.costUSD).toBeGreaterThan(0);
    expect(Object.keys(gpt5.byModel)).toEqual(['gpt-5']);
    // The total cost is the sum of the priced models.
    const priced = report.rows.reduce((sum, r) => sum + (r.costUSD ?? 0), 0);
    expect(report.totals.costUSD).toBeCloseTo(priced, 9);
  });

  it('groups by cwd, source and provider, and filters by them', async () => {
    const other = (s: TreeSession) => s === 'M' || s === 'N';
    expect(keysAndTotals(await usage(app, '?groupBy=cwd'))).toEqual([
      ['/home/u/proj', total((s) => !other(s)), 8],
      ['/home/u/other', total(other), 2],
    ]);
    // A cwd is compared after normalisation, as in the list.
    expect((await usage(app, '?cwd=/home/u/other/')).totals.totalTokens).toBe(total(other));
    expect(keysAndTotals(await usage(app, '?groupBy=source&source=exec'))).toEqual([['exec', EXPECTED.B[4], 1]]);
    expect((await usage(app, '?source=interactive')).totals.totalTokens).toBe(total((s) => s !== 'B'));
    expect(keysAndTotals(await usage(app, '?groupBy=provider'))).toEqual([
      ['openai', total((s) => s !== 'C'), 9],
      ['azure', EXPECTED.C[4], 1],
    ]);
    expect((await usage(app, '?provider=azure&provider=nobody')).totals.totalTokens).toBe(EXPECTED.C[4]);
  });

  it('counts archived sessions by default; archived=false and true take one side', async () => {
    expect((await usage(app)).totals.totalTokens).toBe(total());
    expect((await usage(app, '?archived=false')).totals.totalTokens).toBe(total((s) => s !== 'R'));
    expect((await usage(app, '?archived=true')).totals.totalTokens).toBe(EXPECTED.R[4]);
  });

  it('takes since and until on response time, in tz; a date is its whole local day', async () => {
    expect(keysAndTotals(await usage(app, '?since=2025-10-02&until=2025-10-03'))).toEqual([
      ['2025-10-02', 3300 + 3800, 2],
      ['2025-10-03', 2750 + 1550, 2],
    ]);
    // Session N's responses straddle midnight UTC: in Tokyo both are on the 6th.
    expect((await usage(app, '?since=2025-10-06&tz=Asia/Tokyo')).totals.totalTokens).toBe(3300);
    expect((await usage(app, '?since=2025-10-06')).totals.totalTokens).toBe(2200);
    expect((await usage(app, '?until=2025-10-05T23:59:59Z')).totals.totalTokens).toBe(total() - 2200);
    expect((await usage(app, '?since=2030-01-01')).rows).toEqual([]);
  });

  it('returns at most limit rows and counts the others; the totals cover all', async () => {
    const report = await usage(app, '?groupBy=day&limit=2');
    expect(report.rows.map((r) => r.key)).toEqual(['2025-10-01', '2025-10-02']);
    expect(report.rowsOmitted).toBe(4);
    expect(report.totals.totalTokens).toBe(total());
  });

  it('answers bad parameters with 400 INVALID_QUERY', async () => {
    for (const query of [
      'groupBy=dya',
      'groupBy=',
      'tz=Mars/Base',
      'tz=',
      'since=yesterday',
      'until=2025-13-45',
      'since=2025-10-03&until=2025-10-02',
      'limit=0',
      'limit=10001',
      'limit=1.5',
      'limit=abc',
      'archived=maybe',
      'source=desktop',
      'cwd=',
      'bogus=1',
    ]) {
      const res = await app.inject(`/usage?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type'], query).toMatch(/^application\/problem\+json/);
      expect(res.json().code, query).toBe('INVALID_QUERY');
    }
  });

  it('revalidates with its ETag', async () => {
    const first = await app.inject('/usage?groupBy=model');
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await app.inject({ url: '/usage?groupBy=model', headers: { 'if-none-match': etag, 'cache-control': 'no-cache' } });
    expect(again.statusCode).toBe(304);
  });
});

describe('GET /usage while the tree changes and without a complete index', () => {
  it('counts a response appended a moment ago (index)', async () => {
    const home = await tempHome();
    const paths = await writeUsageTree(home, ['A']);
    const app = await appFor(home, true);
    expect((await usage(app)).totals.totalTokens).toBe(EXPECTED.A[4]);
      // A total 1000 input and 100 output above the session's last one: one more response.
      await appendFile(
        join(home, paths.A),
        `${JSON.stringify(tokenCount('2025-10-01T10:59:00.000Z', u(2500, 300, 280, 60), u(1000, 0, 100, 0)))}\n`,
      );
      const after = await eventually(
        () => usage(app),
        (r) => r.totals.totalTokens !== EXPECTED.A[4],
        5000,
      );
    expect(after.totals.totalTokens).toBe(EXPECTED.A[4] + 1100);
  });

  it('reads the files when there are at most --max-scan-files, else 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const home = await tempHome();
    await writeUsageTree(home, ['A', 'B', 'C']);
    const small = await appFor(home, false, { maxScanFiles: 3 });
    expect((await usage(small)).totals.totalTokens).toBe(total((s) => s === 'A' || s === 'B' || s === 'C'));
    const tooSmall = await appFor(home, false, { maxScanFiles: 2 });
    const res = await tooSmall.inject('/usage');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('SERVICE_UNAVAILABLE');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});
