import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { TOOL_TEXT_LIMIT } from '../../src/rollout/sources/codex/search-extract.js';
import {
  MODES,
  REAL_HOME,
  appFor,
  envelopeLines,
  legacyLines,
  recordTypeLines,
  sharedByTests,
  tempHome,
  uuidN,
  withoutUsage,
  writeSession,
  type Line,
} from '../helper.js';
import { eventually } from '../net.js';

interface Match {
  line: number;
  timestamp: string | null;
  role: string;
  kind: string;
  snippet: string;
  ranges: [number, number][];
}
interface SearchBody {
  items: { id: string; title: string | null; matchCount: number; matches: Match[] }[];
  nextCursor: string | null;
  reachedScanCap: boolean;
}

async function search(app: FastifyInstance, query: string): Promise<SearchBody> {
  const res = await app.inject({ method: 'GET', url: `/search?${query}` });
  if (res.statusCode !== 200) throw new Error(`GET /search?${query} → ${res.statusCode} ${res.body}`);
  return res.json() as SearchBody;
}

/** Every item of every page: ids in order. */
async function allIds(app: FastifyInstance, query: string, limit = 2): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: SearchBody = await search(app, `${query}&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

const q = (text: string) => `q=${encodeURIComponent(text)}`;
const ts = '2025-05-01T10:00:00.000Z';
const item = (payload: Record<string, unknown>) => ({ timestamp: ts, type: 'response_item', payload });
const event = (payload: Record<string, unknown>) => ({ timestamp: ts, type: 'event_msg', payload });

/** Sessions of every line-format generation, with text in every scope. */
async function corpus(): Promise<string> {
  const home = await tempHome();
  await writeSession(home, {
    stamp: '2025-05-01T10-00-00',
    id: uuidN(1),
    title: 'Fix the tokenizer in lexer.ts',
    cwd: '/home/u/données',
    extra: [
      event({ type: 'agent_message', message: 'I will look at the Tokenizer now.' }),
      item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'I will look at the Tokenizer now.' }] }),
      item({ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: 'rg -n tokenizer src' }), call_id: 'c1' }),
      item({ type: 'function_call_output', call_id: 'c1', output: 'src/lexer.ts:10: export class Tokenizer {}' }),
      item({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Planning the über refactor' }] }),
    ],
  });
  await writeSession(home, { stamp: '2025-05-02T10-00-00', id: uuidN(2), title: 'x' }, recordTypeLines({
    stamp: '2025-05-02T10-00-00',
    id: uuidN(2),
    title: 'DONNÉES manquantes dans le rapport',
  }));
  await writeSession(home, { stamp: '2025-05-03T10-00-00', id: uuidN(3), title: 'x' }, legacyLines({
    stamp: '2025-05-03T10-00-00',
    id: uuidN(3),
    title: 'legacy question about the tokenizer 🚀',
  }));
  // Injected context mentions words that no one typed.
  await writeSession(home, { stamp: '2025-05-04T10-00-00', id: uuidN(4), title: 'an unrelated request' });
  await writeSession(home, { stamp: '2025-05-05T10-00-00', id: uuidN(5), title: 'archived tokenizer work', archived: true });
  await writeSession(home, { stamp: '2025-05-06T10-00-00', id: uuidN(6), title: null, extra: [
    event({ type: 'agent_message', message: 'tokenizer answer without a question' }),
  ] });
  return home;
}

describe.each(MODES)('search ($mode)', ({ index }) => {
  // The corpus tests only read: one corpus and one app serve them all.
  const shared = sharedByTests(async () => appFor(await corpus(), index));
  it('finds a phrase in every line-format generation, case-insensitively, with line numbers and exact ranges', async () => {
    const app = shared();
    const page = await search(app, `${q('TOKENIZER')}&matches=5`);
    expect(page.items.map((i) => i.id)).toEqual([uuidN(3), uuidN(1)]);
    const [legacy, envelope] = page.items;
    expect(legacy?.matches).toEqual([
      { line: 4, timestamp: null, role: 'user', kind: 'message', snippet: 'legacy question about the tokenizer 🚀', ranges: [[26, 35]] },
    ]);
    // The user message written twice (event and response item) counts once; so does the assistant's.
    expect(envelope?.matchCount).toBe(2);
    expect(envelope?.matches.map((m) => [m.line, m.role, m.kind])).toEqual([[3, 'user', 'message'], [6, 'assistant', 'agent_message']]);
    for (const m of envelope?.matches ?? []) {
      for (const [s, e] of m.ranges) expect(m.snippet.slice(s, e).toLowerCase()).toBe('tokenizer');
    }
    expect((await search(app, q('données manquantes'))).items.map((i) => i.id)).toEqual([uuidN(2)]);
  });

  it('scopes: messages without injected context, tools, and all with reasoning', async () => {
    const app = shared();
    // The injected environment context is not something anyone typed.
    expect((await search(app, q('environment_context'))).items).toEqual([]);
    expect((await search(app, q('/x</cwd>'))).items).toEqual([]);
    expect((await search(app, `${q('/x</cwd>')}&scope=all`)).items).toEqual([]);
    const tools = await search(app, `${q('tokenizer')}&scope=tools&matches=5`);
    expect(tools.items.map((i) => i.id)).toEqual([uuidN(1)]);
    expect(tools.items[0]?.matches.map((m) => [m.role, m.kind])).toEqual([['tool', 'function_call'], ['tool', 'function_call_output']]);
    expect((await search(app, q('über refactor'))).items).toEqual([]);
    expect((await search(app, `${q('ÜBER refactor')}&scope=all`)).items.map((i) => [i.id, i.matches[0]?.role])).toEqual([
      [uuidN(1), 'reasoning'],
    ]);
    expect((await search(app, `${q('tokenizer')}&scope=all`)).items[1]?.matchCount).toBe(4);
  });

  it('words: every word somewhere in the session, in any order', async () => {
    const app = shared();
    expect(await allIds(app, `${q('lexer.ts fix')}&match=words`)).toEqual([uuidN(1)]);
    expect(await allIds(app, `${q('rapport DONNÉES')}&match=words`)).toEqual([uuidN(2)]);
    // "rg" is in a tool call only, "legacy" in a message only: together only with scope=all.
    expect(await allIds(app, `${q('tokenizer rg')}&match=words`)).toEqual([]);
    expect(await allIds(app, `${q('tokenizer rg')}&match=words&scope=all`)).toEqual([uuidN(1)]);
    // Short words (below a trigram) are checked against the text.
    expect(await allIds(app, `${q('🚀 a')}&match=words`)).toEqual([uuidN(3)]);
  });

  it('applies the list filters and pages by cursor in both sorts and orders', async () => {
    const app = shared();
    expect(await allIds(app, `${q('tokenizer')}&archived=all`, 1)).toEqual([uuidN(5), uuidN(3), uuidN(1)]);
    expect(await allIds(app, `${q('tokenizer')}&archived=all&order=asc`, 1)).toEqual([uuidN(1), uuidN(3), uuidN(5)]);
    expect(await allIds(app, `${q('tokenizer')}&archived=true`)).toEqual([uuidN(5)]);
    expect(await allIds(app, `${q('tokenizer')}&includeEmpty=true`)).toEqual([uuidN(6), uuidN(3), uuidN(1)]);
    expect(await allIds(app, `${q('tokenizer')}&cwd=${encodeURIComponent('/home/u/données')}`)).toEqual([uuidN(1)]);
    expect(await allIds(app, `${q('tokenizer')}&since=2025-05-02&until=2025-05-03`)).toEqual([uuidN(3)]);
    expect(await allIds(app, `${q('tokenizer')}&sort=updated`, 1)).toHaveLength(2);
    const none = await search(app, `${q('tokenizer')}&matches=0&limit=1`);
    expect(none.items[0]).toMatchObject({ matchCount: 1, matches: [] });
    expect(none.nextCursor).not.toBeNull();
  });

  it('indexes each tool output up to its bound', async () => {
    const home = await tempHome();
    const output = `${'x'.repeat(TOOL_TEXT_LIMIT - 20)} early needle ${'y'.repeat(100)} late needle`;
    await writeSession(home, {
      stamp: '2025-06-01T00-00-00',
      id: uuidN(7),
      title: 'run it',
      extra: [item({ type: 'function_call_output', call_id: 'c', output })],
    });
    const app = await appFor(home, index);
    expect((await search(app, `${q('early needle')}&scope=tools`)).items).toHaveLength(1);
    expect((await search(app, `${q('late needle')}&scope=tools`)).items).toHaveLength(0);
  });

  it('searches the real Codex 0.169 files', async () => {
    const app = await appFor(REAL_HOME, index);
    const page = await search(app, `${q('refactor the parser 🚀')}&limit=100`);
    expect(page.items).toHaveLength(3);
    for (const i of page.items) expect(i.matches[0]).toMatchObject({ line: 8, role: 'user', kind: 'message' });
    expect((await search(app, `${q('hello from mock')}&limit=100`)).items).toHaveLength(0);
    // Every session but the fork ran the mock command.
    expect((await search(app, `${q('hello from mock')}&scope=tools&limit=100`)).items).toHaveLength(22);
  });

  it('one session: its matching records in file order, a page at a time', async () => {
    const app = shared();
    const url = (extra: string) => `/conversations/${uuidN(1)}/search?${q('tokenizer')}&scope=all${extra}`;
    const all = (await app.inject(url('&limit=100'))).json() as { matches: Match[]; nextCursor: string | null };
    expect(all.matches.map((m) => m.line)).toEqual([3, 6, 8, 9]);
    expect(all.nextCursor).toBeNull();
    const lines: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.inject(url(`&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`));
      const body = res.json() as { matches: Match[]; nextCursor: string | null };
      lines.push(...body.matches.map((m) => m.line));
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(lines).toEqual(all.matches.map((m) => m.line));
  });
});

describe.each(MODES)('hostile queries ($mode)', ({ index }) => {
  const queries = ['"', '""', '*', 'a" OR "b', 'NEAR(mock reply)', '{msg}:mock', '\0mock', 'mo\0ck', 'mock*', '^mock',
    "'; DROP TABLE sessions; --", '\\', 'AND', 'OR NOT', '🚀'.repeat(500), '(', ')', ':', '-', '%', '_'];
  it('are literal text: 200 and the same answers as a scan', async () => {
    const home = await corpus();
    const app = await appFor(home, index);
    const scan = await appFor(home, false);
    for (const text of queries) {
      for (const extra of ['', '&match=words', '&scope=all']) {
        const url = `/search?${q(text)}${extra}`;
        const res = await app.inject(url);
        expect(res.statusCode, url).toBe(200);
        expect(withoutUsage(res.json()), url).toEqual(withoutUsage((await scan.inject(url)).json()));
      }
    }
    expect((await search(app, `${q('tokenizer"')}&scope=all`)).items).toEqual([]);
  });
});

describe('search errors', () => {
  const cases: [string, string][] = [
    ['', 'INVALID_QUERY'],
    ['q=', 'INVALID_QUERY'],
    ['q=%20%20', 'INVALID_QUERY'],
    [`q=${'x'.repeat(501)}`, 'INVALID_QUERY'],
    [`q=${encodeURIComponent('🚀'.repeat(501))}`, 'INVALID_QUERY'],
    ['q=x&scope=everything', 'INVALID_QUERY'],
    ['q=x&match=regex', 'INVALID_QUERY'],
    ['q=x&matches=21', 'INVALID_QUERY'],
    ['q=x&matches=-1', 'INVALID_QUERY'],
    ['q=x&limit=101', 'INVALID_QUERY'],
    ['q=x&head=1', 'INVALID_QUERY'],
    ['q=x&source=nowhere', 'INVALID_QUERY'],
    ['q=x&since=yesterday', 'INVALID_QUERY'],
    ['q=x&cursor=nonsense', 'INVALID_CURSOR'],
    ['q=x&order=asc&cursor=2025-05-01T10-00-00%7C00000000-0000-4000-8000-000000000001', 'INVALID_CURSOR'],
  ];
  const empty = sharedByTests(async () => appFor(await tempHome(), false));
  it.each(cases)('GET /search?%s → 400 %s', async (query, code) => {
    const app = empty();
    const res = await app.inject(`/search?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe(code);
  });

  it('one session: bad id, unknown id, bad cursor, bad parameters', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'hello' });
    const app = await appFor(home, false);
    const expectProblem = async (url: string, status: number, code: string) => {
      const res = await app.inject(url);
      expect([res.statusCode, res.json().code], url).toEqual([status, code]);
    };
    await expectProblem('/conversations/not-a-uuid/search?q=x', 400, 'INVALID_ID');
    await expectProblem(`/conversations/${uuidN(9)}/search?q=x`, 404, 'NOT_FOUND');
    await expectProblem(`/conversations/${uuidN(1)}/search?q=x&cursor=line9`, 400, 'INVALID_CURSOR');
    await expectProblem(`/conversations/${uuidN(1)}/search?q=x&limit=0`, 400, 'INVALID_QUERY');
    await expectProblem(`/conversations/${uuidN(1)}/search`, 400, 'INVALID_QUERY');
    await expectProblem(`/conversations/${uuidN(1)}/search?q=x&matches=2`, 400, 'INVALID_QUERY');
  });
});

describe('search freshness', () => {
  it('takes appended records in within moments, reading only what was appended', async () => {
    const home = await tempHome();
    // The title lies between the 4 KiB the append check samples at each end of the indexed bytes
    // (a rewrite there is not seen; one in the samples is: test/rollout/index/rewrite.test.ts).
    const spec = { stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'first words' };
    const [meta, ...rest] = envelopeLines(spec);
    const head = meta as { payload: object };
    const pad = (n: number): Line => ({ timestamp: ts, type: 'event_msg', payload: { type: 'x', pad: 'y'.repeat(n) } });
    const lines = [{ ...head, payload: { pad: 'x'.repeat(5000), ...head.payload } }, ...rest, pad(5000)];
    const rel = await writeSession(home, spec, lines);
    const app = await appFor(home, true);
    expect((await search(app, q('first words'))).items).toHaveLength(1);
    // Rewrite the title in place (same length, same inode), then append: a re-read from the start
    // would find "first wordz"; an incremental read only sees the appended record.
    const path = join(home, rel);
    await writeFile(path, (await readFile(path, 'utf8')).replace('first words', 'first wordz'));
    const appended: Line = { timestamp: ts, type: 'event_msg', payload: { type: 'agent_message', message: 'a late zebra answer' } };
    await appendFile(path, `${JSON.stringify(appended)}\n`);
    const late = await eventually(() => search(app, q('late zebra')), (page) => page.items.length > 0, 10_000);
    expect(late.items).toHaveLength(1);
    expect((await search(app, q('first words'))).items).toHaveLength(1);
    expect((await search(app, q('first wordz'))).items).toHaveLength(0);
  });

  it('a last line still being written is searchable once its newline arrives', async () => {
    const home = await tempHome();
    const lines = envelopeLines({ stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'hello' });
    const rel = await writeSession(home, { stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'hello' }, lines);
    const app = await appFor(home, true);
    const half = JSON.stringify({ timestamp: ts, type: 'event_msg', payload: { type: 'agent_message', message: 'quokka' } });
    await appendFile(join(home, rel), half.slice(0, 40));
    await new Promise((r) => setTimeout(r, 200));
    expect((await search(app, q('quokka'))).items).toHaveLength(0);
    await appendFile(join(home, rel), `${half.slice(40)}\n`);
    const done = await eventually(() => search(app, q('quokka')), (page) => page.items.length > 0, 10_000);
    expect(done.items).toHaveLength(1);
  });
});
