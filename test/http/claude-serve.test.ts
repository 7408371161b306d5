// Serving Claude Code sessions beside Codex ones (docs/claude.md, "Serving"): the registry built
// from the configuration, /readyz, `agent` on items and the `agent=` filter, one interleaved
// keyset order, lookups and raw bytes, over real HTTP on copies of both real fixture homes, with
// and without the index.
import { execFileSync } from 'node:child_process';
import { appendFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE } from '../../src/config.js';
import { appFor, buildTestApp, copyOfRealHome, MODES, sharedByTests, tempHome } from '../helper.js';
import { listen } from '../net.js';
import { SseClient } from '../sse.js';

const CLAUDE_REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claude-home-real');

async function copyOfClaudeHome(): Promise<string> {
  const home = await tempHome();
  await cp(CLAUDE_REAL, home, { recursive: true });
  return home;
}

interface Item {
  id: string;
  agent: string;
  createdAt: string;
  path: string;
  title: string | null;
  source: string;
  model: string | null;
  cwd: string | null;
  cliVersion: string | null;
  git: { branch: string | null } | null;
  forkedFromId: string | null;
  modelProvider: string;
}

const both = { agents: ['codex', 'claude'] as ('codex' | 'claude')[] };

describe.each(MODES)('both agents, $mode', ({ index }) => {
  const served = sharedByTests(async () => {
    const claudeHome = await copyOfClaudeHome();
    const app = await appFor(await copyOfRealHome(), index, { ...both, claudeHome });
    return { app, claudeHome };
  });

  const all = async (query = ''): Promise<Item[]> => {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await served().app.inject(`/conversations?limit=4&head=0&includeEmpty=true${query}${after}`);
      expect(res.statusCode).toBe(200);
      const body: { items: Item[]; nextCursor: string | null } = res.json();
      items.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor !== null);
    return items;
  };

  it('says on /readyz which sources are served', async () => {
    const res = await served().app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json().sources).toEqual([
      { agent: 'codex', served: true, home: 'ready', reason: null },
      { agent: 'claude', served: true, home: 'ready', reason: null },
    ]);
  });

  it('pages both agents in one interleaved order by start time, every session once', async () => {
    const items = await all();
    const claude = items.filter((i) => i.agent === 'claude');
    const codex = items.filter((i) => i.agent === 'codex');
    expect(claude).toHaveLength(12); // 10 sessions and 2 sub-agents
    expect(codex).toHaveLength(23);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    // The fixtures' Claude sessions start after every Codex one: newest first, they come first.
    expect(items.slice(0, 12).every((i) => i.agent === 'claude')).toBe(true);
    const created = claude.map((i) => i.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    // One page of everything says the same, and ascending order is its reverse.
    const whole = (await served().app.inject('/conversations?limit=100&head=0&includeEmpty=true')).json();
    expect(whole.items.map((i: Item) => i.id)).toEqual(items.map((i) => i.id));
    expect(whole.nextCursor).toBeNull();
    const asc = await all('&order=asc');
    expect(asc.map((i) => i.id)).toEqual(items.map((i) => i.id).reverse());
  });

  it('filters by agent', async () => {
    const claude = await all('&agent=claude');
    expect(claude.map((i) => i.agent)).toEqual(Array(12).fill('claude'));
    const codex = await all('&agent=codex');
    expect(codex).toHaveLength(23);
    expect(codex.every((i) => i.agent === 'codex')).toBe(true);
    expect(await all('&agent=codex&agent=claude')).toHaveLength(35);
    const bad = await served().app.inject('/conversations?agent=gemini');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_QUERY');
  });

  it('describes a Claude session: title, cwd, branch, CLI version, model, and sub-agents linked to their parent', async () => {
    const items = await all('&agent=claude');
    const poem = items.find((i) => i.title?.startsWith('Écris un petit poème'));
    expect(poem).toMatchObject({ source: 'exec', modelProvider: 'anthropic', cliVersion: '2.1.197', model: 'claude-opus-4-8' });
    expect(poem?.cwd).toContain('données café');
    expect(poem?.path).toMatch(/^projects\/[^/]+\/[0-9a-f-]{36}\.jsonl$/);
    const subagents = items.filter((i) => i.source === 'subagent');
    expect(subagents).toHaveLength(2);
    for (const sub of subagents) {
      const parent = items.find((i) => i.id === sub.forkedFromId);
      expect(parent?.agent).toBe('claude');
      expect(sub.path.startsWith(parent!.path.replace(/\.jsonl$/, '/subagents/'))).toBe(true);
    }
  });

  it('looks a Claude session up by id (and a sub-agent by its derived id): JSON, NDJSON bytes, Range and ETag', async () => {
    const { app, claudeHome } = served();
    const items = await all('&agent=claude');
    for (const item of [items.find((i) => i.source === 'subagent')!, items.find((i) => i.source !== 'subagent')!]) {
      const json = await app.inject(`/conversations/${item.id.toUpperCase()}`);
      expect(json.statusCode).toBe(200);
      const doc = json.json();
      expect(doc.conversation).toMatchObject({ id: item.id, agent: 'claude', path: item.path });
      const bytes = await readFile(join(claudeHome, item.path));
      expect(doc.records).toHaveLength(bytes.toString('utf8').trim().split('\n').length);
      const raw = await app.inject(`/conversations/${item.id}?format=ndjson`);
      expect(raw.statusCode).toBe(200);
      expect(raw.rawPayload.equals(bytes)).toBe(true);
      const etag = raw.headers.etag as string;
      const again = await app.inject({ url: `/conversations/${item.id}?format=ndjson`, headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      const range = await app.inject({ url: `/conversations/${item.id}?format=ndjson`, headers: { range: 'bytes=0-9' } });
      expect(range.statusCode).toBe(206);
      expect(range.rawPayload.equals(bytes.subarray(0, 10))).toBe(true);
      const past = await app.inject({ url: `/conversations/${item.id}?format=ndjson`, headers: { range: `bytes=${bytes.length + 5}-` } });
      expect(past.statusCode).toBe(416);
      expect(past.json().code).toBe('RANGE_NOT_SATISFIABLE');
    }
    const missing = await app.inject('/conversations/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  // The search tests read the same two homes: the same app (and index).
  describe('search over both agents', () => {
    const app = () => served().app;

    it('finds a phrase of a Claude prompt, with agent on the item, and in the session', async () => {
      const res = await app().inject('/search?q=petit%20po%C3%A8me');
      expect(res.statusCode).toBe(200);
      const items: (Item & { matches: { line: number; role: string }[] })[] = res.json().items;
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ agent: 'claude', source: 'exec' });
      expect(items[0]!.matches[0]!.role).toBe('user');
      const inside = await app().inject(`/conversations/${items[0]!.id}/search?q=petit%20po%C3%A8me`);
      expect(inside.statusCode).toBe(200);
      expect(inside.json().matches[0].line).toBe(items[0]!.matches[0]!.line);
      expect((await app().inject('/search?q=petit%20po%C3%A8me&agent=codex')).json().items).toEqual([]);
      const bad = await app().inject('/search?q=x&agent=nobody');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe('INVALID_QUERY');
    });

    it('answers usage of both agents (test/http/claude-usage.test.ts has the figures); both agents listed = all', async () => {
      const claude = (await app().inject('/conversations?agent=claude&limit=1')).json().items[0] as Item;
      for (const url of [`/conversations/${claude.id}/usage`, '/usage?agent=claude', '/usage?agent=codex&agent=claude']) {
        expect((await app().inject(url)).statusCode, url).toBe(200);
      }
      const all = await app().inject('/usage');
      expect(all.statusCode).toBe(200);
      expect((await app().inject('/usage?agent=codex&agent=claude')).json()).toEqual(all.json());
    });

    it('exports a Claude session as Markdown, with its counted usage', async () => {
      const items: Item[] = (await app().inject('/conversations?agent=claude&limit=100')).json().items;
      const poem = items.find((i) => i.title?.startsWith('Écris un petit poème'))!;
      const res = await app().inject(`/conversations/${poem.id}/export?format=markdown`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Écris un petit poème');
      expect(res.body).toMatch(/Tokens[^\n]*cache writes \d/);
      expect(res.body).not.toMatch(/Tokens[^\n]*—/);
    });

    it('interleaves matches of both agents, pages without loss', async () => {
      // "the" is in sessions of both agents.
      const whole = (await app().inject('/search?q=the&limit=100')).json();
      const agents = new Set(whole.items.map((i: Item) => i.agent));
      expect(agents).toEqual(new Set(['codex', 'claude']));
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const body: { items: Item[]; nextCursor: string | null } = (await app().inject(`/search?q=the&limit=3${after}`)).json();
        paged.push(...body.items.map((i) => i.id));
        cursor = body.nextCursor;
      } while (cursor !== null);
      expect(paged).toEqual(whole.items.map((i: Item) => i.id));
    });
  });
});

describe('one agent, or a home that is not there', () => {
  it('serves Codex only with --agents codex, as before', async () => {
    const app = await appFor(await copyOfRealHome(), false, { agents: ['codex'], claudeHome: null });
    const body = (await app.inject('/conversations?limit=100&includeEmpty=true')).json();
    expect(body.items).toHaveLength(23);
    expect(body.items.every((i: Item) => i.agent === 'codex')).toBe(true);
    expect((await app.inject('/conversations?agent=claude')).json()).toMatchObject({ items: [], nextCursor: null });
    expect((await app.inject('/readyz')).json().sources).toEqual([{ agent: 'codex', served: true, home: 'ready', reason: null }]);
    await app.close();
  });

  it('says why a Claude home is not served, and still serves Codex', async () => {
    const app = await appFor(await copyOfRealHome(), false, { ...both, claudeHome: join(await tempHome(), 'nope') });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().sources[1]).toMatchObject({ agent: 'claude', served: false, home: 'missing' });
    expect(ready.json().sources[1].reason).toMatch(/does not exist/);
    expect((await app.inject('/conversations?limit=100')).json().items).toHaveLength(23);
    await app.close();
  });

  it('serves Claude alone (--agents claude), and a home without projects/ as empty', async () => {
    const codexHome = await tempHome();
    const claudeHome = await copyOfClaudeHome();
    const app = await appFor(codexHome, false, { agents: ['claude'], claudeHome });
    const body = (await app.inject('/conversations?limit=100&includeEmpty=true')).json();
    expect(body.items).toHaveLength(12);
    expect((await app.inject('/readyz')).json().sources).toEqual([{ agent: 'claude', served: true, home: 'ready', reason: null }]);
    await app.close();
    const bare = await tempHome();
    const empty = await appFor(codexHome, false, { agents: ['claude'], claudeHome: bare });
    expect((await empty.inject('/conversations')).json()).toMatchObject({ items: [], nextCursor: null });
    expect((await empty.inject('/readyz')).json().sources[0]).toMatchObject({ served: false, home: 'no-sessions' });
    await empty.close();
  });
});

/** A Claude transcript line with the fields a head read uses. */
const line = (sessionId: string, at: string, text: string) =>
  JSON.stringify({
    type: 'user',
    ...{ sessionId, cwd: '/w', version: '2.1.197', entrypoint: 'sdk-cli', timestamp: at },
    message: { role: 'user', content: text },
  });

describe.each(MODES)('one id in both homes, $mode', ({ index }) => {
  it('is 409 AMBIGUOUS_ID naming both paths', async () => {
    const codexHome = await tempHome();
    const claudeHome = await tempHome();
    const id = '0000000a-0000-4000-8000-00000000000a';
    await codexSession(codexHome, '2026-01-02T03-04-05', id, '2026-01-02T03:04:05.000Z');
    await mkdir(join(claudeHome, 'projects', '-w'), { recursive: true });
    await writeFile(join(claudeHome, 'projects', '-w', `${id}.jsonl`), line(id, '2026-01-02T03:04:06.000Z', 'twin') + '\n');
    const app = await appFor(codexHome, index, { ...both, claudeHome });
    const res = await app.inject(`/conversations/${id}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('AMBIGUOUS_ID');
    expect(res.json().detail).toContain(`projects/-w/${id}.jsonl`);
    expect(res.json().detail).toContain(`rollout-2026-01-02T03-04-05-${id}.jsonl`);
    await app.close();
  });
});

describe.each(MODES)('Claude names, $mode', ({ index }) => {
  it('names a session by a title record the head read sees (older `summary`, `ai-title` before the first answer)', async () => {
    const claudeHome = await tempHome();
    const project = join(claudeHome, 'projects', '-w');
    await mkdir(project, { recursive: true });
    const old = 'd0000000-0000-4000-8000-000000000000';
    const titled = 'd0000001-0000-4000-8000-000000000000';
    const summary = JSON.stringify({ type: 'summary', summary: 'An older summary', leafUuid: 'x' });
    await writeFile(join(project, `${old}.jsonl`), `${summary}\n${line(old, '2026-01-01T00:00:00.000Z', 'hi')}\n`);
    const aiTitle = JSON.stringify({ type: 'ai-title', aiTitle: 'Greeting', sessionId: titled });
    await writeFile(join(project, `${titled}.jsonl`), `${line(titled, '2026-01-01T00:00:01.000Z', 'hello')}\n${aiTitle}\n`);
    const app = await appFor(await tempHome(), index, { agents: ['claude'], claudeHome });
    const items: Item[] = (await app.inject('/conversations')).json().items;
    expect(items.map((i) => [i.id, (i as Item & { name: string | null }).name])).toEqual([
      [titled, 'Greeting'],
      [old, 'An older summary'],
    ]);
    expect((await app.inject(`/conversations/${old}`)).json().conversation.name).toBe('An older summary');
    await app.close();
  });
});

describe.each(MODES)('hostile Claude files over HTTP, $mode', ({ index }) => {
  it('skips a FIFO and a link out of the home, lists a `..-..-etc` project and a 1 MiB line, and never serves outside', async () => {
    const claudeHome = await tempHome();
    const outside = await tempHome();
    const project = join(claudeHome, 'projects', '-w');
    const dots = join(claudeHome, 'projects', '..-..-etc');
    await mkdir(project, { recursive: true });
    await mkdir(dots, { recursive: true });
    const fifo = 'e0000000-0000-4000-8000-000000000000';
    const link = 'e0000001-0000-4000-8000-000000000000';
    const dotted = 'e0000002-0000-4000-8000-000000000000';
    const big = 'e0000003-0000-4000-8000-000000000000';
    execFileSync('mkfifo', [join(project, `${fifo}.jsonl`)]);
    await writeFile(join(outside, 'secret.jsonl'), line(link, '2026-01-01T00:00:00.000Z', 'secret') + '\n');
    await symlink(join(outside, 'secret.jsonl'), join(project, `${link}.jsonl`));
    await writeFile(join(dots, `${dotted}.jsonl`), line(dotted, '2026-01-01T00:00:01.000Z', 'dotted') + '\n');
    // Past the 64 KiB hold bound, the path a 15 MiB line takes (it was 15 MiB: 4 s more, the same path).
    const huge = JSON.stringify({ type: 'user', timestamp: '2026-01-01T00:00:03.000Z', toolUseResult: 'x'.repeat(2 ** 20) });
    await writeFile(join(project, `${big}.jsonl`), `${line(big, '2026-01-01T00:00:02.000Z', 'big')}\n${huge}\n`);
    const app = await appFor(await tempHome(), index, { agents: ['claude'], claudeHome });
    const res = await app.inject('/conversations?head=0&tail=1');
    expect(res.statusCode).toBe(200);
    const items: Item[] = res.json().items;
    expect(items.map((i) => [i.id, i.title])).toEqual([
      [big, 'big'],
      [dotted, 'dotted'],
    ]);
    expect(items[1]!.path).toBe(`projects/..-..-etc/${dotted}.jsonl`);
    for (const id of [fifo, link]) {
      const one = await app.inject(`/conversations/${id}?format=ndjson`);
      expect(one.statusCode, id).toBe(404);
      expect(one.json().code).toBe('NOT_FOUND');
    }
    expect((await app.inject('/search?q=secret')).json().items).toEqual([]);
    await app.close();
  }, 60_000);
});

describe.each(MODES)('/events over both agents, $mode', ({ index }) => {
  it('announces changes of both homes in one sequence of ids, with agent, and filters by agent', async () => {
    const codexHome = await tempHome();
    const claudeHome = await tempHome();
    const project = join(claudeHome, 'projects', '-w');
    await mkdir(project, { recursive: true });
    const indexPath = index ? join(await tempHome(), 'index.sqlite') : null;
    const app = await buildTestApp(codexHome, { ...both, claudeHome, indexPath, live: { ...DEFAULT_LIVE, heartbeatMs: 200 } });
    const port = await listen(app);
    const all = new SseClient(port, '/events');
    const onlyClaude = new SseClient(port, '/events?agent=claude');
    await all.until((x) => x.events.length > 0);
    await onlyClaude.until((x) => x.events.length > 0);
    const aid = 'f0000000-0000-4000-8000-000000000000';
    await writeFile(join(project, `${aid}.jsonl`), line(aid, '2026-01-01T00:00:00.000Z', 'from claude') + '\n');
    await all.until((x) => x.named('session').length >= 1);
    const cid = '00000000-0000-7000-8000-0000000000f1';
    await codexSession(codexHome, '2026-01-01T00-00-01', cid, '2026-01-01T00:00:01.000Z');
    await all.until((x) => x.named('session').length >= 2);
    const seen = all.named('session').map((e) => JSON.parse(e.data!) as { change: string; session: Item });
    expect(seen.map((e) => [e.change, e.session.agent, e.session.id])).toEqual([
      ['created', 'claude', aid],
      ['created', 'codex', cid],
    ]);
    const ids = all.named('session').map((e) => Number(e.id));
    expect(ids[1]).toBe(ids[0]! + 1);
    await onlyClaude.until((x) => x.named('session').length >= 1);
    expect(onlyClaude.named('session').map((e) => (JSON.parse(e.data!) as { session: Item }).session.id)).toEqual([aid]);
    all.close();
    onlyClaude.close();
    await app.close();
  }, 60_000);

  it('follows a Claude session as it is written', async () => {
    const claudeHome = await tempHome();
    const project = join(claudeHome, 'projects', '-w');
    await mkdir(project, { recursive: true });
    const aid = 'f0000002-0000-4000-8000-000000000000';
    const path = join(project, `${aid}.jsonl`);
    await writeFile(path, line(aid, '2026-01-01T00:00:00.000Z', 'first') + '\n');
    const indexPath = index ? join(await tempHome(), 'index.sqlite') : null;
    const app = await buildTestApp(await tempHome(), { ...both, claudeHome, indexPath, live: { ...DEFAULT_LIVE, heartbeatMs: 200 } });
    const port = await listen(app);
    const follower = new SseClient(port, `/conversations/${aid}/events?from=start`);
    await follower.until((x) => x.named('record').length >= 1);
    const next = line(aid, '2026-01-01T00:00:05.000Z', 'second');
    await appendFile(path, next + '\n');
    await follower.until((x) => x.named('record').length >= 2);
    expect(follower.named('record')[1]!.data).toBe(next);
    expect(follower.named('record')[1]!.id).toBe(String((await readFile(path)).length));
    follower.close();
    await app.close();
  }, 60_000);
});

/** A Codex rollout of one user message, named by its (local) stamp. */
async function codexSession(home: string, stamp: string, id: string, at: string): Promise<void> {
  const dir = join(home, 'sessions', stamp.slice(0, 4), stamp.slice(5, 7), stamp.slice(8, 10));
  await mkdir(dir, { recursive: true });
  const lines = [
    { timestamp: at, type: 'session_meta', payload: { id, timestamp: at, cwd: '/w', originator: 'codex_exec', cli_version: '0.169.0' } },
    { timestamp: at, type: 'event_msg', payload: { type: 'user_message', message: `codex ${id.slice(0, 4)}` } },
  ];
  await writeFile(join(dir, `rollout-${stamp}-${id}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

describe.each(MODES)('interleaving edge cases, $mode', ({ index }) => {
  it('keeps sessions with the same second on both sides, and pages without loss while a session is written', async () => {
    const codexHome = await tempHome();
    const claudeHome = await tempHome();
    const project = join(claudeHome, 'projects', '-w');
    await mkdir(project, { recursive: true });
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) {
      const sec = String(10 + n).padStart(2, '0');
      const cid = `0000000${n}-0000-7000-8000-00000000000${n}`;
      await codexSession(codexHome, `2026-01-02T03-04-${sec}`, cid, `2026-01-02T03:04:${sec}.000Z`);
      const aid = `a000000${n}-0000-4000-8000-00000000000${n}`;
      await writeFile(join(project, `${aid}.jsonl`), line(aid, `2026-01-02T03:04:${sec}.500Z`, `claude ${n}`) + '\n');
      ids.push(cid, aid);
    }
    // A file that is not a transcript yet (no line) and one with a broken line are skipped, not errors.
    await writeFile(join(project, 'b0000000-0000-4000-8000-000000000000.jsonl'), '');
    await writeFile(join(project, 'b0000001-0000-4000-8000-000000000000.jsonl'), '{"type":\n');
    const app = await appFor(codexHome, index, { ...both, claudeHome });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: { items: Item[]; nextCursor: string | null } = (
        await app.inject(`/conversations?limit=5&head=0${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      ).json();
      seen.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      if (pages++ === 0) {
        // Written while the client pages: it starts later than every session, so it never shows on later pages.
        const nid = 'c0000000-0000-4000-8000-000000000000';
        await writeFile(join(project, `${nid}.jsonl`), line(nid, '2026-05-01T00:00:00.000Z', 'new') + '\n');
        await appendFile(join(project, `${ids[1]}.jsonl`), line(ids[1]!, '2026-05-01T00:00:01.000Z', 'more') + '\n');
      }
    } while (cursor !== null && pages < 20);
    // Same second, UTC stamps on both sides here: Codex (.000) and Claude (.500) of each second alternate, ties by uuid.
    const expected = [...ids].sort((a, b) => {
      const sa = ids.indexOf(a) >> 1;
      const sb = ids.indexOf(b) >> 1;
      return sa !== sb ? sb - sa : a < b ? 1 : -1;
    });
    expect(seen).toEqual(expected);
    await app.close();
  });
});
