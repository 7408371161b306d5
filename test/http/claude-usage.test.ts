// Claude Code usage over HTTP (docs/usage.md, "Both agents"; docs/claude.md, "Usage rules"): /usage
// with `agent=` and `groupBy=agent`, a Claude session's /conversations/:id/usage, `usage` on list
// items, the same answer everywhere, with and without the index, on a copy of the real homes.
// The expected figures are the per-file tuples worked out by hand in
// test/rollout/sources/claude/usage.test.ts (BY_HAND).
import { appendFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appFor, copyOfRealHome, MODES, sharedByTests, tempHome } from '../helper.js';

const CLAUDE_REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claude-home-real');

// The whole real home, by hand: input 119, cache writes 347,189 (all 5-minute), cache reads
// 419,780, output 2,274 (ccusage 18.0.11 says the same). In the common layout input is all of it.
const INPUT = 119 + 347_189 + 419_780;
const CLAUDE_TOTALS = {
  inputTokens: INPUT,
  cachedInputTokens: 419_780,
  cacheWrite5mTokens: 347_189,
  cacheWrite1hTokens: 0,
  outputTokens: 2_274,
  reasoningOutputTokens: 0,
  totalTokens: INPUT + 2_274,
};
// Sonnet 4.5 $0.94486155 + Opus 4.5 $0.580465 (both as ccusage) + Opus 4.8 $0.282032 (ccusage: $0).
const CLAUDE_COST = 0.94486155 + 0.580465 + 0.282032;
// 06d6efa2, by hand: [1, 34330, 0, 114], [2, 2385, 32287, 180], [4, 258, 34672, 131] (Sonnet 4.5).
const ONE_SESSION = { input: 7, writes: 34_330 + 2_385 + 258, reads: 32_287 + 34_672, output: 114 + 180 + 131 };

interface Tokens {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
  costUSD: number | null;
}
interface Row extends Tokens {
  key: string | null;
  sessions: number;
  byModel: Record<string, Tokens>;
}

const FIELDS = [
  'inputTokens',
  'cachedInputTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'outputTokens',
  'reasoningOutputTokens',
  'totalTokens',
] as const;
const tokensOf = (t: Tokens) => Object.fromEntries(FIELDS.map((f) => [f, t[f]]));
const sumOf = (a: Tokens, b: Tokens) => ({
  inputTokens: a.inputTokens + b.inputTokens,
  cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
  cacheWrite5mTokens: a.cacheWrite5mTokens + b.cacheWrite5mTokens,
  cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  reasoningOutputTokens: a.reasoningOutputTokens + b.reasoningOutputTokens,
  totalTokens: a.totalTokens + b.totalTokens,
});

describe.each(MODES)('Claude usage over HTTP, $mode', ({ index }) => {
  const app = sharedByTests(async () => {
    const claudeHome = await tempHome();
    await cp(CLAUDE_REAL, claudeHome, { recursive: true });
    return appFor(await copyOfRealHome(), index, { agents: ['codex', 'claude'], claudeHome });
  });
  const get = async (url: string) => {
    const res = await app().inject(url);
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.json();
  };

  it('/usage?agent=claude: the real home as counted by hand, priced from the dated Anthropic table', async () => {
    const body = await get('/usage?agent=claude&groupBy=model');
    expect(tokensOf(body.totals)).toEqual(CLAUDE_TOTALS);
    expect(body.totals.costUSD).toBeCloseTo(CLAUDE_COST, 9);
    expect(body.unpricedModels).toEqual([]);
    expect(body.pricing.source).toMatch(/^https:\/\/platform\.claude\.com\//);
    const models = Object.fromEntries((body.rows as Row[]).map((r) => [r.key, r]));
    expect(Object.keys(models).sort()).toEqual(['claude-opus-4-5-20251101', 'claude-opus-4-8', 'claude-sonnet-4-5-20250929']);
    // Sonnet 4.5 by hand: [85, 219203, 327401, 1625].
    expect(tokensOf(models['claude-sonnet-4-5-20250929']!)).toEqual({
      inputTokens: 85 + 219_203 + 327_401,
      cachedInputTokens: 327_401,
      cacheWrite5mTokens: 219_203,
      cacheWrite1hTokens: 0,
      outputTokens: 1_625,
      reasoningOutputTokens: 0,
      totalTokens: 85 + 219_203 + 327_401 + 1_625,
    });
    expect(models['claude-sonnet-4-5-20250929']!.costUSD).toBeCloseTo(0.94486155, 9);
    expect(models['claude-opus-4-8']!.costUSD).toBeCloseTo(0.282032, 9);
  });

  it('/usage over both agents: rows merged by key, totals the sum of each agent; groupBy=agent splits them', async () => {
    const claude = await get('/usage?agent=claude&groupBy=day');
    const codex = await get('/usage?agent=codex&groupBy=day');
    const both = await get('/usage?groupBy=day');
    expect(tokensOf(both.totals)).toEqual(sumOf(claude.totals, codex.totals));
    expect(both.unpricedModels).toEqual([...new Set([...claude.unpricedModels, ...codex.unpricedModels])].sort());
    const keys = new Set([...claude.rows, ...codex.rows].map((r: Row) => r.key));
    expect(both.rows.map((r: Row) => r.key)).toEqual([...keys].sort());
    // Codex figures are unchanged by the Claude source (their cache writes are 0).
    expect(codex.totals.cacheWrite5mTokens).toBe(0);
    const byAgent = await get('/usage?groupBy=agent');
    const rows = Object.fromEntries((byAgent.rows as Row[]).map((r) => [r.key, r]));
    expect(Object.keys(rows).sort()).toEqual(['claude', 'codex']);
    expect(tokensOf(rows.claude!)).toEqual(CLAUDE_TOTALS);
    expect(rows.claude!.sessions).toBe(11); // 12 files; the 529 error session (184cbaac) has no usage
    expect(tokensOf(rows.codex!)).toEqual(tokensOf(codex.totals));
    expect(byAgent.groupBy).toBe('agent');
  });

  it("a session's page, its list item and its groupBy=session row give one answer", async () => {
    const items = (await get('/conversations?agent=claude&limit=100&includeEmpty=true')).items as {
      id: string;
      usage: Tokens | null;
    }[];
    const session = items.find((i) => i.id.startsWith('06d6efa2'))!;
    const page = await get(`/conversations/${session.id}/usage`);
    const t = page.totals as Tokens;
    const anthropicInput = t.inputTokens - t.cachedInputTokens - t.cacheWrite5mTokens;
    expect([anthropicInput, t.cacheWrite5mTokens, t.cachedInputTokens, t.outputTokens]).toEqual(Object.values(ONE_SESSION));
    expect(page.turns.length).toBeGreaterThan(0);
    expect(page.contextWindow).toBeNull();
    expect(page.rateLimits).toBeNull();
    // Without the index no list item has usage (Codex's neither): null, "not counted yet".
    if (!index) expect(items.every((i) => i.usage === null)).toBe(true);
    if (index) expect(tokensOf(session.usage!)).toEqual(tokensOf(t));
    if (index) expect(session.usage!.costUSD).toBeCloseTo(t.costUSD!, 9);
    const row = ((await get('/usage?agent=claude&groupBy=session')).rows as Row[]).find((r) => r.key === session.id)!;
    expect(tokensOf(row)).toEqual(tokensOf(t));
    // Every Claude item's usage equals its page's totals, and all of them add up to the home's.
    let sum = 0;
    for (const item of items) {
      const totals = (await get(`/conversations/${item.id}/usage`)).totals as Tokens;
      if (index) expect(item.usage === null ? null : tokensOf(item.usage), item.id).toEqual(tokensOf(totals));
      sum += totals.totalTokens;
    }
    expect(sum).toBe(CLAUDE_TOTALS.totalTokens);
  });

  it('bad inputs: status and code', async () => {
    const bad = ['/usage?agent=nobody', '/usage?groupBy=agents', '/usage?agent=claude&tz=Mars/Olympus', '/usage?agent=claude&limit=0'];
    for (const url of bad) {
      const res = await app().inject(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code, url).toBe('INVALID_QUERY');
    }
    const res = await app().inject('/conversations/06d6efa2-0000-4000-8000-000000000000/usage');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
  });
});

describe('an agent that is not served', () => {
  const app = sharedByTests(async () => appFor(await copyOfRealHome(), false));

  it('has no usage (as the list has no sessions), and a bad zone is still refused', async () => {
    const body = (await app().inject('/usage?agent=claude')).json();
    expect(body.rows).toEqual([]);
    expect(body.totals.totalTokens).toBe(0);
    expect(body.totals.costUSD).toBe(0);
    const bad = await app().inject('/usage?agent=claude&tz=Nowhere/Else');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_QUERY');
  });
});

const T = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.000Z`;
const U = (input: number, write: number, read: number, output: number, extra: Record<string, unknown> = {}) => ({
  input_tokens: input,
  cache_creation_input_tokens: write,
  cache_read_input_tokens: read,
  output_tokens: output,
  ...extra,
});
const SONNET = 'claude-sonnet-4-5-20250929';
const line = (id: string, req: string, usage: object, at: number, extra: Record<string, unknown> = {}, model = SONNET) =>
  JSON.stringify({
    type: 'assistant',
    timestamp: T(at),
    sessionId: 'x',
    requestId: req,
    isSidechain: false,
    message: { id, role: 'assistant', model, content: [{ type: 'text', text: 'x' }], usage },
    ...extra,
  });
const prompt = (at: number) =>
  JSON.stringify({ type: 'user', timestamp: T(at), promptId: `p${at}`, message: { role: 'user', content: `prompt ${at}` } });
const OLDER = 'projects/-p/00000000-0000-4000-8000-000000000001.jsonl';
const NEWER = 'projects/-p/00000000-0000-4000-8000-000000000002.jsonl';

describe.each(MODES)('Claude usage rules over HTTP on written files, $mode', ({ index }) => {
  const served = sharedByTests(async () => {
    const claudeHome = await tempHome();
    await mkdir(join(claudeHome, 'projects/-p'), { recursive: true });
    // The older file has the sidechain copy (the stream's opening usage, output 4) and a fast-mode
    // response; the newer one the main-chain copy (output 400): the main-chain copy counts.
    await writeFile(
      join(claudeHome, OLDER),
      [
        prompt(1),
        line('msg_1', 'req_1', U(1, 2, 3, 4), 2, { isSidechain: true }),
        line('msg_f', 'req_f', U(10, 0, 0, 100, { speed: 'fast' }), 3, {}, 'claude-opus-4-6'),
      ].join('\n') + '\n',
    );
    await writeFile(join(claudeHome, NEWER), [prompt(5), line('msg_1', 'req_1', U(1, 2, 3, 400), 6)].join('\n') + '\n');
    const app = await appFor(await copyOfRealHome(), index, { agents: ['codex', 'claude'], claudeHome });
    return { app, claudeHome };
  });
  const get = async (url: string) => {
    const res = await served().app.inject(url);
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.json();
  };
  const sessionRows = async () =>
    Object.fromEntries(((await get('/usage?agent=claude&groupBy=session')).rows as Row[]).map((r) => [r.key, r]));

  it('a main-chain copy counts over an older sidechain copy; fast mode is its own model, at 6× the Opus 4.6 price', async () => {
    const rows = await sessionRows();
    const older = rows['00000000-0000-4000-8000-000000000001']!;
    const newer = rows['00000000-0000-4000-8000-000000000002']!;
    expect(Object.keys(older.byModel)).toEqual(['claude-opus-4-6-fast']);
    // 6 × ($5 × 10 + $25 × 100) per 1M (https://platform.claude.com/docs/en/build-with-claude/fast-mode, read 2026-12-06).
    expect(older.costUSD).toBeCloseTo((6 * (10 * 5 + 100 * 25)) / 1e6, 12);
    expect([newer.inputTokens, newer.cacheWrite5mTokens, newer.cachedInputTokens, newer.outputTokens]).toEqual([1 + 2 + 3, 2, 3, 400]);
    const page = await get('/conversations/00000000-0000-4000-8000-000000000001/usage');
    expect(tokensOf(page.totals)).toEqual(tokensOf(older));
    expect(page.turns.map((t: { turnId: string }) => t.turnId)).toEqual(['p1']);
  });

  it('an append is counted once, a response split into several lines once (the index resumes where it stopped)', async () => {
    const before = (await sessionRows())['00000000-0000-4000-8000-000000000002']!;
    await appendFile(
      join(served().claudeHome, NEWER),
      [prompt(7), line('msg_2', 'req_2', U(5, 0, 100, 50), 8), line('msg_2', 'req_2', U(5, 0, 100, 50), 8)].join('\n') + '\n',
    );
    let after = before;
    for (let i = 0; i < 100 && after.outputTokens === before.outputTokens; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await sessionRows())['00000000-0000-4000-8000-000000000002']!;
    }
    expect(after.outputTokens).toBe(400 + 50);
    expect(after.cachedInputTokens).toBe(3 + 100);
    const page = await get('/conversations/00000000-0000-4000-8000-000000000002/usage');
    expect(tokensOf(page.totals)).toEqual(tokensOf(after));
    if (index) {
      const item = (await get('/conversations?agent=claude&limit=10&includeEmpty=true')).items.find(
        (i: { id: string }) => i.id === '00000000-0000-4000-8000-000000000002',
      );
      expect(tokensOf(item.usage)).toEqual(tokensOf(after));
    }
  });
});
