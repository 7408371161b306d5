import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { groupUsage } from '../../src/rollout/usage/grouping.js';
import { countedResponses } from '../../src/rollout/usage/ownership.js';
import { PriceBook } from '../../src/rollout/usage/pricing.js';
import type { PricedTokens } from '../../src/rollout/usage/tally.js';
import { buildTestApp, stampToIso, tempHome, uuidN, writeSession } from '../helper.js';
import { ZERO_TOKENS, fileResponses } from '../usage-lines.js';
import { DAYS_UTC, EXPECTED, RATE_LIMITS, STAMPS, TREE, writeUsageTree, type TreeSession } from './usage-tree.js';

const SESSIONS = Object.keys(TREE) as TreeSession[];

const figures = (t: PricedTokens) => [
  t.inputTokens,
  t.cachedInputTokens,
  t.outputTokens,
  t.reasoningOutputTokens,
  t.totalTokens,
  t.costUSD,
];

async function usageOf(app: Awaited<ReturnType<typeof buildTestApp>>, id: string) {
  const res = await app.inject(`/conversations/${id}/usage`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('GET /conversations/:id/usage over a tree with every counting rule', () => {
  it('counts each session exactly', async () => {
    const home = await tempHome();
    await writeUsageTree(home);
    const app = await buildTestApp(home);
    for (const s of SESSIONS) {
      const body = await usageOf(app, TREE[s]);
      expect(body.id).toBe(TREE[s]);
      expect(figures(body.totals), s).toEqual(EXPECTED[s]);
    }
  });

  it('breaks a session down by model and turn, with an unpriced model listed and never costed', async () => {
    const home = await tempHome();
    await writeUsageTree(home, ['M', 'A', 'C']);
    const app = await buildTestApp(home);
    const m = await usageOf(app, TREE.M);
    expect(Object.fromEntries(Object.entries(m.byModel).map(([k, v]) => [k, figures(v as PricedTokens)]))).toEqual({
      'gpt-5': [1000, 0, 100, 0, 1100, 0.00225],
      'gpt-5.2-codex': [2000, 1000, 200, 0, 2200, 0.004725],
      'my-local-model': [500, 0, 50, 0, 550, null],
    });
    expect(m.unpricedModels).toEqual(['my-local-model']);
    expect(m.turns.map((t: PricedTokens & Record<string, unknown>) => [t.turnId, t.model, t.at, ...figures(t)])).toEqual([
      ['turn-m1', 'gpt-5', '2025-10-04T10:02:00.000Z', 3000, 1000, 300, 0, 3300, 0.006975],
      ['turn-m2', 'my-local-model', '2025-10-04T10:06:00.000Z', 500, 0, 50, 0, 550, null],
    ]);
    expect(m).toMatchObject({ contextWindow: 258400, peakInputTokens: 2000, rateLimits: null });

    const a = await usageOf(app, TREE.A);
    expect(a.rateLimits).toEqual(RATE_LIMITS);
    expect(a.turns.map((t: Record<string, unknown>) => [t.turnId, t.totalTokens])).toEqual([
      ['turn-a1', 1100],
      ['turn-a2', 580],
    ]);
    expect(a.unpricedModels).toEqual([]);

    const c = await usageOf(app, TREE.C);
    expect(Object.keys(c.byModel)).toEqual(['o3', 'o4-mini-2025-04-16']);
    expect(c.byModel['o4-mini-2025-04-16'].costUSD).toBe(0.0006765); // priced as o4-mini
    expect(c.peakInputTokens).toBe(600);
  });

  it('a fork counts the records it carries from its parent only when the parent session is gone', async () => {
    const home = await tempHome();
    const paths = await writeUsageTree(home, ['P', 'F']);
    const app = await buildTestApp(home);
    expect(figures((await usageOf(app, TREE.F)).totals)).toEqual(EXPECTED.F);
    await rm(join(home, paths.P));
    expect(figures((await usageOf(app, TREE.F)).totals)).toEqual([6500, 4000, 600, 150, 7100, 0.009625]);
  });

  it('a session without usage lines has zero usage', async () => {
    const home = await tempHome();
    await writeUsageTree(home, ['L']);
    const body = await usageOf(await buildTestApp(home), TREE.L);
    expect(body).toEqual({
      id: TREE.L,
      totals: { ...ZERO_TOKENS, costUSD: 0 },
      byModel: {},
      turns: [],
      turnsOmitted: 0,
      contextWindow: null,
      peakInputTokens: 0,
      rateLimits: null,
      unpricedModels: [],
    });
  });

  it('answers a bad id, an unknown session, an ambiguous id and an unknown parameter with problem+json', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-10-01T10-00-00', id: uuidN(1), title: 'one' });
    await writeSession(home, { stamp: '2025-10-01T10-00-00', id: uuidN(1), title: 'one', archived: true });
    const app = await buildTestApp(home);
    const cases: [string, number, string][] = [
      ['/conversations/not-a-uuid/usage', 400, 'INVALID_ID'],
      [`/conversations/${uuidN(2)}/usage`, 404, 'NOT_FOUND'],
      [`/conversations/${uuidN(1)}/usage`, 409, 'AMBIGUOUS_ID'],
      [`/conversations/${uuidN(2)}/usage?tz=UTC`, 400, 'INVALID_QUERY'],
    ];
    for (const [url, status, code] of cases) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.json().code, url).toBe(code);
    }
  });
});

describe('rule 6 and grouping over the whole tree (the reference for the index)', () => {
  async function wholeTree() {
    const home = await tempHome();
    const paths = await writeUsageTree(home);
    const files = SESSIONS.map((s) => fileResponses(home, paths[s], TREE[s], stampToIso(STAMPS[s])));
    return { home, paths, files, counted: countedResponses(files) };
  }

  it('each file counts what its own usage route shows', async () => {
    const { home, paths, counted } = await wholeTree();
    const app = await buildTestApp(home);
    const prices = new PriceBook();
    for (const s of SESSIONS) {
      const byFile = groupUsage(
        counted.get(paths[s])!.map((response) => ({ response, session: { id: TREE[s], cwd: null, source: 'cli', provider: 'openai' } })),
        'session',
        'UTC',
        prices,
      );
      expect(figures(byFile.totals), s).toEqual(EXPECTED[s]);
      expect(figures((await usageOf(app, TREE[s])).totals), s).toEqual(EXPECTED[s]);
    }
  });

  it('a copied response belongs to the session its thread id names, else to the oldest file that carries it', async () => {
    const { paths, files } = await wholeTree();
    const f = files.find((x) => x.file === paths.F)!;
    const carried = f.responses.filter((r) => r.threadId === TREE.P).map((r) => r.responseKey);
    expect(carried).toEqual([`${TREE.P}/resp_p1`, `${TREE.P}/resp_p2`]);
    const withoutParent = files.filter((x) => x.file !== paths.P);
    expect(countedResponses(withoutParent).get(paths.F)!.map((r) => r.responseKey)).toEqual([...carried, `${TREE.F}/resp_f1`]);
    // A second copy of the parent's history in a later file: the older fork keeps the responses.
    const sibling = { ...f, file: 'sessions/2025/10/09/sibling.jsonl', sessionId: uuidN(0x99), createdAt: '2025-10-09T00:00:00.000Z' };
    const counted = countedResponses([...withoutParent, sibling]);
    expect(counted.get(sibling.file)!.map((r) => r.responseKey)).toEqual([]);
    expect(counted.get(paths.F)!.map((r) => r.responseKey)).toEqual([...carried, `${TREE.F}/resp_f1`]);
  });

  it('splits a session across midnight by each response time, in the requested zone', async () => {
    const { files, counted } = await wholeTree();
    const prices = new PriceBook();
    const all = files.flatMap((f) =>
      counted.get(f.file)!.map((response) => ({ response, session: { id: f.sessionId, cwd: null, source: 'cli', provider: 'openai' } })),
    );
    const day = (tz: string) => groupUsage(all, 'day', tz, prices).rows.map((r) => [r.key, r.totalTokens, r.sessions]);
    expect(day('UTC')).toEqual(DAYS_UTC);
    expect(day('America/New_York').slice(-1)).toEqual([['2025-10-05', 3300, 1]]);
    expect(day('Asia/Tokyo').slice(-1)).toEqual([['2025-10-06', 3300, 1]]);
    const week = (tz: string) => groupUsage(all, 'week', tz, prices).rows.map((r) => [r.key, r.totalTokens]);
    expect(week('UTC')).toEqual([
      ['2025-W40', 9865 + 7100 + 4300 + 14850 + 1100],
      ['2025-W41', 2200],
    ]);
    expect(week('Asia/Tokyo')).toEqual([
      ['2025-W40', 9865 + 7100 + 4300 + 14850],
      ['2025-W41', 3300],
    ]);
    const total = groupUsage(all, 'month', 'UTC', prices);
    expect(total.rows.map((r) => r.key)).toEqual(['2025-10']);
    expect(total.totals.totalTokens).toBe(Object.values(EXPECTED).reduce((sum, e) => sum + e[4], 0));
    expect(total.unpricedModels).toEqual(['my-local-model']);
  });

  it('counts archived sessions too', async () => {
    const { paths, counted } = await wholeTree();
    expect(paths.R).toMatch(/^archived_sessions\//);
    expect(counted.get(paths.R)!.map((r) => r.totalTokens)).toEqual([11000]);
  });
});
