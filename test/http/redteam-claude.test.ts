// Red team, issue 20 (docs/red-team.md, "redteam27"): hostile Claude Code files the serving tests
// (claude-serve, claude-usage) do not write, and an id in both homes on every route that takes
// one. Each over HTTP, with and without the index; scan and index must give the same answer.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appFor, MODES, sharedByTests, tempHome } from '../helper.js';

const SONNET = 'claude-sonnet-4-5-20250929';
const T = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.000Z`;
const ctx = (sessionId: string, at: number) => ({ sessionId, cwd: '/w', version: '2.1.197', entrypoint: 'sdk-cli', timestamp: T(at) });
const prompt = (sessionId: string, at: number, text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'user', ...ctx(sessionId, at), promptId: `p${at}`, message: { role: 'user', content: text }, ...extra });
const answer = (sessionId: string, at: number, id: unknown, req: unknown, usage: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'assistant',
    ...ctx(sessionId, at),
    requestId: req,
    isSidechain: false,
    message: { id, role: 'assistant', model: SONNET, content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage },
    ...extra,
  });
const U = (input: unknown, write: unknown, read: unknown, output: unknown) => ({
  input_tokens: input,
  cache_creation_input_tokens: write,
  cache_read_input_tokens: read,
  output_tokens: output,
});
const lines = (...l: string[]) => l.join('\n') + '\n';

interface Tokens {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWrite5mTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUSD: number | null;
}
interface Row extends Tokens {
  key: string;
  sessions: number;
}
/** Anthropic's four kinds back from the common layout: input, cache writes, cache reads, output. */
const four = (t: Tokens) => [
  t.inputTokens - t.cachedInputTokens - t.cacheWrite5mTokens,
  t.cacheWrite5mTokens,
  t.cachedInputTokens,
  t.outputTokens,
];

const A = 'a0000000-0000-4000-8000-000000000001';
const B = 'a0000000-0000-4000-8000-000000000002';
const C = 'a0000000-0000-4000-8000-000000000003';
const HOSTILE = 'a0000000-0000-4000-8000-000000000004';
const ORPHAN_PARENT = 'a0000000-0000-4000-8000-0000000000ff';
const LIAR_PARENT = 'a0000000-0000-4000-8000-000000000005';

/** Every answer across the home, worked out by hand below. */
async function hostileHome(): Promise<string> {
  const home = await tempHome();
  const outside = await tempHome();
  const p = join(home, 'projects', '-w');
  await mkdir(p, { recursive: true });
  // One response (msg_dup, req_dup) written in two sessions (A older, B newer): counted once, by A.
  // req_shared is one requestId on two different message ids in B and C: two responses.
  // msg_same with two requestIds in C: two responses.
  await writeFile(join(p, `${A}.jsonl`), lines(prompt(A, 1, 'first'), answer(A, 2, 'msg_dup', 'req_dup', U(1, 10, 100, 1000))));
  await writeFile(
    join(p, `${B}.jsonl`),
    lines(
      prompt(B, 3, 'second'),
      answer(B, 4, 'msg_dup', 'req_dup', U(1, 10, 100, 1000)),
      answer(B, 5, 'msg_b', 'req_shared', U(2, 0, 0, 20)),
    ),
  );
  await writeFile(
    join(p, `${C}.jsonl`),
    lines(
      prompt(C, 6, 'third'),
      answer(C, 7, 'msg_c', 'req_shared', U(3, 0, 0, 30)),
      answer(C, 8, 'msg_same', 'req_x', U(4, 0, 0, 40)),
      answer(C, 9, 'msg_same', 'req_y', U(5, 0, 0, 50)),
    ),
  );
  // Usage blocks that lie: negative, fractional, huge, strings, arrays, objects, a usage that is a
  // string, ids that are not strings. Clamped to integers in [0, 2^40]; a non-number is 0.
  await writeFile(
    join(p, `${HOSTILE}.jsonl`),
    lines(
      prompt(HOSTILE, 10, 'hostile usage'),
      answer(HOSTILE, 11, 'msg_h1', 'req_h1', U(-5, 1.9, '9', 1e300)),
      answer(HOSTILE, 12, 'msg_h2', 'req_h2', U([1], { n: 1 }, null, Number.MAX_SAFE_INTEGER)),
      answer(HOSTILE, 13, 'msg_h3', 'req_h3', 'a lot'),
      answer(HOSTILE, 14, { id: 1 }, 7, U(6, 0, 0, 60)),
      answer(HOSTILE, 15, 'msg_h5', 'req_h5', U(-1e300, -0, Number.NaN, 70)),
    ),
  );
  // A sub-agent whose parent transcript is missing; one whose lines claim another session id and
  // whose `.meta.json` lies (another agent id, a path, a depth); a `.meta.json` that is a FIFO, one
  // that links out of the home, one with no transcript beside it.
  const orphanDir = join(p, ORPHAN_PARENT, 'subagents');
  await mkdir(orphanDir, { recursive: true });
  await writeFile(
    join(orphanDir, 'agent-0123456789abcdef0.jsonl'),
    lines(
      prompt(ORPHAN_PARENT, 20, 'orphan task', { isSidechain: true, agentId: '0123456789abcdef0' }),
      answer(ORPHAN_PARENT, 21, 'msg_o', 'req_o', U(7, 0, 0, 70), { isSidechain: true, agentId: '0123456789abcdef0' }),
    ),
  );
  execFileSync('mkfifo', [join(orphanDir, 'agent-0123456789abcdef0.meta.json')]);
  await writeFile(join(p, `${LIAR_PARENT}.jsonl`), lines(prompt(LIAR_PARENT, 22, 'liar parent')));
  const liarDir = join(p, LIAR_PARENT, 'subagents');
  await mkdir(liarDir, { recursive: true });
  await writeFile(
    join(liarDir, 'agent-fedcba9876543210f.jsonl'),
    lines(
      prompt(A, 23, 'liar task', { isSidechain: true, agentId: '0123456789abcdef0' }),
      answer(A, 24, 'msg_l', 'req_l', U(8, 0, 0, 80), { isSidechain: true, agentId: '0123456789abcdef0' }),
    ),
  );
  await writeFile(
    join(liarDir, 'agent-fedcba9876543210f.meta.json'),
    JSON.stringify({ agentType: '../../../etc/passwd', description: 'x'.repeat(100_000), toolUseId: A, spawnDepth: -1e300 }),
  );
  await writeFile(join(outside, 'meta.json'), '{"agentType":"secret"}');
  await symlink(join(outside, 'meta.json'), join(liarDir, 'agent-00000000000000000.meta.json'));
  await writeFile(join(liarDir, 'agent-11111111111111111.meta.json'), '{"agentType":"ghost"}');
  return home;
}

const CAP = 2 ** 40;

describe.each(MODES)('hostile Claude files, usage and lookups, $mode', ({ index }) => {
  const app = sharedByTests(async () => appFor(await tempHome(), index, { agents: ['claude'], claudeHome: await hostileHome() }));
  const get = async (url: string) => {
    const res = await app().inject(url);
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.json();
  };
  type Item = { id: string; forkedFromId: string | null; title: string | null; path: string };
  const items = async () => (await get('/conversations?limit=100&includeEmpty=true')).items as Item[];

  it('lists a sub-agent whose parent is missing, linked to the missing id; a `.meta.json` changes nothing', async () => {
    const all = await items();
    const subs = all.filter((i) => i.path.includes('/subagents/'));
    expect(subs.map((s) => [s.forkedFromId, s.title]).sort()).toEqual([
      [LIAR_PARENT, 'liar task'],
      [ORPHAN_PARENT, 'orphan task'],
    ]);
    // Nothing is listed for a `.meta.json` without a transcript, a link, or a FIFO.
    expect(all).toHaveLength(7);
    const orphan = subs.find((s) => s.forkedFromId === ORPHAN_PARENT)!;
    expect((await get(`/conversations/${orphan.id}`)).conversation.forkedFromId).toBe(ORPHAN_PARENT);
    const parent = await app().inject(`/conversations/${ORPHAN_PARENT}`);
    expect(parent.statusCode).toBe(404);
    expect(parent.json().code).toBe('NOT_FOUND');
    const usage = await get(`/conversations/${orphan.id}/usage`);
    expect(four(usage.totals)).toEqual([7, 0, 0, 70]);
  });

  it('a sub-agent whose lines name another session is still the sub-agent of its directory', async () => {
    const liar = (await items()).find((i) => i.forkedFromId === LIAR_PARENT)!;
    expect(liar.id).not.toBe(A);
    expect(four((await get(`/conversations/${liar.id}/usage`)).totals)).toEqual([8, 0, 0, 80]);
    // A's own usage is not changed by lines that say they are A's.
    expect(four((await get(`/conversations/${A}/usage`)).totals)).toEqual([1, 10, 100, 1000]);
  });

  it('one response in two sessions counts once, in the older; a shared requestId or message id alone does not merge', async () => {
    const rows: Row[] = (await get('/usage?agent=claude&groupBy=session')).rows;
    const of = (id: string) => four(rows.find((r) => r.key === id)!);
    expect(of(A)).toEqual([1, 10, 100, 1000]);
    expect(of(B)).toEqual([2, 0, 0, 20]);
    expect(of(C)).toEqual([3 + 4 + 5, 0, 0, 30 + 40 + 50]);
    expect(four((await get(`/conversations/${B}/usage`)).totals)).toEqual([2, 0, 0, 20]);
    const total = (await get('/usage?agent=claude')).totals as Tokens;
    expect(total.totalTokens).toBe(rows.reduce((s, r) => s + r.totalTokens, 0));
  });

  it('usage numbers that lie are clamped, never NaN, negative or over 2^40; a usage that is not an object is nothing', async () => {
    const page = await get(`/conversations/${HOSTILE}/usage`);
    const t = page.totals as Tokens;
    // h1: input 0 (-5), writes 1 (1.9), reads 0 ("9"), output 2^40 (1e300); h2: output 2^53-1 → 2^40;
    // h3: nothing; h4 (ids not strings): 6 / 60; h5: 0, 0, 0, 70.
    expect(four(t)).toEqual([6, 1, 0, CAP + CAP + 60 + 70]);
    for (const v of Object.values(t)) if (typeof v === 'number') expect(Number.isSafeInteger(v) || v === t.costUSD).toBe(true);
    expect(t.costUSD).toBeGreaterThan(0);
    expect(Number.isFinite(t.costUSD)).toBe(true);
    const report = await get('/usage?agent=claude&groupBy=day');
    expect(report.totals.outputTokens).toBe(1000 + 20 + 120 + 70 + 80 + 2 * CAP + 60 + 70);
  });
});

describe.each(MODES)('an id in both homes, on every route that takes one, $mode', ({ index }) => {
  const id = '0000000b-0000-4000-8000-00000000000b';
  const app = sharedByTests(async () => {
    const codexHome = await tempHome();
    const claudeHome = await tempHome();
    const at = '2026-01-02T03:04:05.000Z';
    const dir = join(codexHome, 'sessions', '2026', '01', '02');
    await mkdir(dir, { recursive: true });
    const meta = { id, timestamp: at, cwd: '/w', originator: 'codex_exec', cli_version: '0.169.0' };
    await writeFile(
      join(dir, `rollout-2026-01-02T03-04-05-${id}.jsonl`),
      lines(
        JSON.stringify({ timestamp: at, type: 'session_meta', payload: meta }),
        JSON.stringify({ timestamp: at, type: 'event_msg', payload: { type: 'user_message', message: 'twin' } }),
      ),
    );
    await mkdir(join(claudeHome, 'projects', '-w'), { recursive: true });
    const twin = lines(prompt(id, 6, 'twin'), answer(id, 7, 'm', 'r', U(1, 0, 0, 1)));
    await writeFile(join(claudeHome, 'projects', '-w', `${id}.jsonl`), twin);
    return appFor(codexHome, index, { agents: ['codex', 'claude'], claudeHome });
  });

  it.each([
    `/conversations/${id}`,
    `/conversations/${id}?format=ndjson`,
    `/conversations/${id}/usage`,
    `/conversations/${id}/search?q=twin`,
    `/conversations/${id}/export?format=markdown`,
    `/conversations/${id}/events`,
  ])('%s is 409 AMBIGUOUS_ID', async (url) => {
    const res = await app().inject(url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(409);
    expect(res.json().code).toBe('AMBIGUOUS_ID');
  });

  it('MCP read_session, search_session and session_usage say AMBIGUOUS_ID as a tool error', async () => {
    for (const [name, args] of [
      ['read_session', { id }],
      ['search_session', { id, q: 'twin' }],
      ['session_usage', { id }],
    ] as const) {
      const res = await app().inject({
        method: 'POST',
        url: '/mcp',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        payload: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
      });
      expect(res.statusCode).toBe(200);
      const result = res.json().result;
      expect(result.isError, name).toBe(true);
      expect(result.content[0].text, name).toMatch(/^AMBIGUOUS_ID/);
    }
  });
});

describe.each(MODES)('a Claude response on a 1 MiB line, and one on a 17 MiB line, $mode', ({ index }) => {
  // 1 MiB is past the 64 KiB hold bound: the path of a 15 MiB line (claude-serve lists one), at a fifteenth of the bytes.
  it('counts the first (parsed with bytes from the budget) and skips the second (over the 16 MiB line limit)', async () => {
    const home = await tempHome();
    const id = 'a0000000-0000-4000-8000-000000000015';
    await mkdir(join(home, 'projects', '-w'), { recursive: true });
    // An answer line whose one text block makes it `mib` MiB long.
    const long = (at: number, msg: string, mib: number, output: number) => {
      const line = JSON.parse(answer(id, at, msg, `req_${msg}`, U(1, 0, 0, output)));
      line.message.content = [{ type: 'text', text: 'x'.repeat(mib * 2 ** 20) }];
      return JSON.stringify(line);
    };
    const file = lines(prompt(id, 1, 'long'), long(2, 'msg_1', 1, 15), long(3, 'msg_17', 17, 17));
    await writeFile(join(home, 'projects', '-w', `${id}.jsonl`), file);
    const app = await appFor(await tempHome(), index, { agents: ['claude'], claudeHome: home });
    const page = await app.inject(`/conversations/${id}/usage`);
    expect(page.statusCode).toBe(200);
    expect(four(page.json().totals)).toEqual([1, 0, 0, 15]);
    const report = await app.inject('/usage?agent=claude');
    expect(report.statusCode).toBe(200);
    expect(report.json().totals.outputTokens).toBe(15);
    await app.close();
  }, 60_000);
});
