import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MODES as modes,
  appFor,
  buildTestApp,
  indexReady,
  legacyLines,
  list,
  sharedByTests,
  tempHome,
  uuidN,
  writeLines,
  writeSession,
  type SessionSpec,
} from '../helper.js';


const at = (iso: string) => new Date(iso);

/** Eight sessions covering every filter dimension. */
async function filterHome(): Promise<string> {
  const home = await tempHome();
  const s = (n: number, extra: Omit<SessionSpec, 'id'>) => writeSession(home, { ...extra, id: uuidN(n) });
  await s(1, {
    stamp: '2025-01-01T10-00-00',
    title: 'Fix the PARSER',
    cwd: '/home/u/proj/',
    source: 'cli',
    mtime: at('2025-03-01T00:00:00Z'),
  });
  await s(2, {
    stamp: '2025-01-02T10-00-00',
    title: 'write docs',
    cwd: '/home/u/proj/sub/..',
    source: 'vscode',
    provider: 'azure',
    mtime: at('2025-01-02T11:00:00Z'),
  });
  await s(3, {
    stamp: '2025-01-03T10-00-00',
    title: 'exec job',
    cwd: '/home/u/other',
    source: 'exec',
    provider: null,
    mtime: at('2025-01-03T11:00:00Z'),
  });
  await s(4, {
    stamp: '2025-01-04T10-00-00',
    title: 'review',
    cwd: '/home/u/proj',
    source: { subagent: 'review' },
    mtime: at('2025-01-04T11:00:00Z'),
  });
  await s(5, {
    stamp: '2025-01-05T10-00-00',
    title: 'custom thing',
    cwd: '/x',
    source: { custom: 'atlas' },
    mtime: at('2025-01-05T11:00:00Z'),
  });
  await s(6, {
    stamp: '2025-01-06T10-00-00',
    title: 'données é',
    cwd: '/home/u/données',
    source: 'mcp',
    mtime: at('2025-01-06T11:00:00Z'),
  });
  const legacy = { stamp: '2025-01-07T10-00-00', id: uuidN(7) };
  await writeSession(home, legacy, legacyLines({ ...legacy, title: 'old parser' }));
  const legacyPath = join(home, 'sessions/2025/01/07', `rollout-2025-01-07T10-00-00-${uuidN(7)}.jsonl`);
  await utimes(legacyPath, at('2025-01-07T11:00:00Z'), at('2025-01-07T11:00:00Z'));
  await s(8, {
    stamp: '2025-01-08T10-00-00',
    title: 'archived parser',
    cwd: '/home/u/proj',
    archived: true,
    mtime: at('2025-01-08T11:00:00Z'),
  });
  await writeLines(join(home, 'session_index.jsonl'), [
    { id: uuidN(5), thread_name: 'Parser rewrite', updated_at: '2025-01-09T00:00:00Z' },
  ]);
  return home;
}

const ids = (page: { items: { id: string }[] }) => page.items.map((i) => Number.parseInt(i.id.slice(-12), 16));

describe.each(modes)('filters and sort=updated ($mode mode)', ({ index }) => {
  // The queries below only read: one home and one app serve them all.
  const shared = sharedByTests(async () => appFor(await filterHome(), index));
  it.each([
    ['cwd=/home/u/proj', [4, 2, 1]],
    ['cwd=/home/u/proj/&cwd=/x', [5, 4, 2, 1]],
    ['cwd=/home/u/./proj/sub/..', [4, 2, 1]],
    ['source=interactive', [2, 1]],
    ['source=exec&source=mcp', [6, 3]],
    ['source=subagent', [4]],
    ['source=custom', [5]],
    ['source=unknown', [7]],
    ['provider=openai', [7, 6, 5, 4, 3, 1]],
    ['provider=azure', [2]],
    ['since=2025-01-03&until=2025-01-05', [5, 4, 3]],
    ['since=2025-01-03T10:00:00Z&until=2025-01-05T09:59:59Z', [4, 3]],
    ['q=parser', [7, 5, 1]],
    ['q=DONNÉES', [6]],
    ['q=parser&archived=all', [8, 7, 5, 1]],
    ['q=parser&cwd=/home/u/proj&archived=true', [8]],
    ['sort=updated', [1, 7, 6, 5, 4, 3, 2]],
    ['sort=updated&order=asc', [2, 3, 4, 5, 6, 7, 1]],
    ['sort=updated&since=2025-01-05T00:00:00Z&until=2025-01-07', [7, 6, 5]],
    ['sort=updated&q=parser', [1, 7, 5]],
    ['order=asc&source=interactive', [1, 2]],
    ['q=nothing-matches-this', []],
  ])('%s', async (query, expected) => {
    const app = shared();
    const page = await list(app, `${query}&head=0&total=true`);
    expect(ids(page)).toEqual(expected);
    expect(page.nextCursor).toBeNull();
    // The index counts what the filters list; a scan does not count.
    expect(page.total).toBe(index ? expected.length : undefined);
  });

  it('pages sort=updated with keyset cursors of its own form', async () => {
    const app = shared();
    const p1 = await list(app, 'sort=updated&limit=3&head=0');
    expect(ids(p1)).toEqual([1, 7, 6]);
    expect(p1.nextCursor).toBe(`upd|${Date.parse('2025-01-06T11:00:00Z')}|2025-01-06T10-00-00|${uuidN(6)}`);
    const p2 = await list(app, `sort=updated&limit=3&head=0&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(ids(p2)).toEqual([5, 4, 3]);
    const p3 = await list(app, `sort=updated&limit=3&head=0&cursor=${encodeURIComponent(p2.nextCursor!)}`);
    expect([ids(p3), p3.nextCursor]).toEqual([[2], null]);
    const asc = await list(app, 'sort=updated&order=asc&limit=1&head=0');
    expect(asc.nextCursor).toBe(`upd-asc|${Date.parse('2025-01-02T11:00:00Z')}|2025-01-02T10-00-00|${uuidN(2)}`);
  });

  it('pages sort=updated without repeats or gaps while other sessions are written and grow', async () => {
    const home = await filterHome();
    const app = await appFor(home, index);
    const p1 = await list(app, 'sort=updated&limit=3&head=0');
    expect(ids(p1)).toEqual([1, 7, 6]);
    // A new session (newest mtime) and a served one that grows: both move to the top.
    await writeSession(home, { stamp: '2025-01-10T10-00-00', id: uuidN(10), title: 'new', mtime: at('2025-07-01T00:00:00Z') });
    const rel6 = `sessions/2025/01/06/rollout-2025-01-06T10-00-00-${uuidN(6)}.jsonl`;
    await writeFile(join(home, rel6), '{"timestamp":"t","type":"event_msg","payload":{}}\n', { flag: 'a' });
    await utimes(join(home, rel6), at('2025-07-02T00:00:00Z'), at('2025-07-02T00:00:00Z'));
    const rest = [];
    let cursor = p1.nextCursor;
    while (cursor !== null) {
      const page = await list(app, `sort=updated&limit=3&head=0&cursor=${encodeURIComponent(cursor)}`);
      rest.push(...ids(page));
      cursor = page.nextCursor;
    }
    expect(rest).toEqual([5, 4, 3, 2]);
    expect(ids(await list(app, 'sort=updated&limit=3&head=0'))).toEqual([6, 10, 1]);
  });

  it('names come from session_index.jsonl and match q', async () => {
    const app = shared();
    const page = await list(app, 'q=rewrite');
    expect(page.items.map((i) => [i.id, i.name, i.title])).toEqual([[uuidN(5), 'Parser rewrite', 'custom thing']]);
  });

  it('sees a file grow between two requests (new updatedAt and sizeBytes), and a deleted file go', async () => {
    const home = await filterHome();
    const app = await appFor(home, index);
    const before = (await list(app, 'sort=updated&head=0')).items;
    const rel = `sessions/2025/01/03/rollout-2025-01-03T10-00-00-${uuidN(3)}.jsonl`;
    const appended = `${JSON.stringify({ timestamp: 't', type: 'event_msg', payload: { type: 'x' } })}\n`;
    await writeFile(join(home, rel), appended, { flag: 'a' });
    await utimes(join(home, rel), at('2025-06-01T00:00:00Z'), at('2025-06-01T00:00:00Z'));
    const after = (await list(app, 'sort=updated&head=0')).items;
    const grown = after[0]!;
    expect(grown.id).toBe(uuidN(3));
    expect(grown.updatedAt).toBe('2025-06-01T00:00:00.000Z');
    expect(grown.sizeBytes).toBe((before.find((i) => i.id === uuidN(3))!.sizeBytes as number) + Buffer.byteLength(appended));
    await rm(join(home, rel));
    const gone = await list(app, 'sort=updated&head=0&source=exec');
    expect(gone.items).toEqual([]);
  });

  it('a new session shows up in the very next filtered request', async () => {
    const home = await filterHome();
    const app = await appFor(home, index);
    await writeSession(home, { stamp: '2025-01-09T10-00-00', id: uuidN(9), title: 'brand new parser', source: 'exec' });
    expect(ids(await list(app, 'source=exec&head=0'))).toEqual([9, 3]);
  });
});

describe('the metadata index', () => {
  it('reports its progress on /readyz', async () => {
    const home = await filterHome();
    const scan = await buildTestApp(home);
    expect((await scan.inject('/readyz')).json().index).toMatchObject({ state: 'disabled', complete: false });
    const app = await appFor(home, true);
    expect((await app.inject('/readyz')).json().index).toMatchObject({
      state: 'ready',
      complete: true,
      filesInIndex: 8,
      filesCheckedThisPass: 8,
    });
  });

  it('replaces a corrupt index file instead of failing', async () => {
    const home = await filterHome();
    const indexPath = join(await tempHome(), 'index.sqlite');
    await writeFile(indexPath, 'this is not a SQLite database, not even close'.repeat(100));
    const app = await buildTestApp(home, { indexPath });
    await indexReady(app);
    expect(ids(await list(app, 'q=parser&head=0'))).toEqual([7, 5, 1]);
  });

  it('reuses a complete index after a restart and never writes into the Codex home', async () => {
    const home = await filterHome();
    const { execFileSync } = await import('node:child_process');
    // Read-only for everyone (root ignores modes, hence the snapshot comparison below too).
    execFileSync('chmod', ['-R', 'a-w', home]);
    const { readdir, stat } = await import('node:fs/promises');
    const snapshot = async () => {
      const entries = await readdir(home, { recursive: true });
      return Promise.all(entries.sort().map(async (e) => `${e}:${(await stat(join(home, e))).mtimeMs}`));
    };
    const before = await snapshot();
    const indexPath = join(await tempHome(), 'index.sqlite');
    const first = await buildTestApp(home, { indexPath });
    await indexReady(first);
    await first.close();
    const second = await buildTestApp(home, { indexPath });
    await second.ready();
    // Complete from the start: the previous pass was persisted.
    expect((await second.inject('/readyz')).json().index.complete).toBe(true);
    expect(ids(await list(second, 'source=interactive&head=0'))).toEqual([2, 1]);
    expect(await snapshot()).toEqual(before);
    execFileSync('chmod', ['-R', 'u+w', home]);
  });

  it('watches every day directory: an append to an old session moves it up sort=updated', async () => {
    const home = await filterHome();
    const app = await appFor(home, true);
    // Day 2025-01-02 is not the newest: only its directory watch (or the 5-minute pass) can see this.
    const rel = `sessions/2025/01/02/rollout-2025-01-02T10-00-00-${uuidN(2)}.jsonl`;
    await writeFile(join(home, rel), '{"timestamp":"t","type":"event_msg","payload":{}}\n', { flag: 'a' });
    let first: string | undefined;
    for (let i = 0; i < 100 && first !== uuidN(2); i++) {
      await new Promise((r) => setTimeout(r, 20));
      first = (await list(app, 'sort=updated&limit=1&head=0')).items[0]?.id;
    }
    expect(first).toBe(uuidN(2));
    // A new year directory created after start-up is watched too.
    await writeSession(home, { stamp: '2026-02-01T00-00-00', id: uuidN(11), title: 'next year', source: 'exec' });
    await new Promise((r) => setTimeout(r, 200));
    const rel11 = `sessions/2026/02/01/rollout-2026-02-01T00-00-00-${uuidN(11)}.jsonl`;
    await writeFile(join(home, rel11), '{"timestamp":"t","type":"event_msg","payload":{}}\n', { flag: 'a' });
    await utimes(join(home, rel11), at('2030-01-01T00:00:00Z'), at('2030-01-01T00:00:00Z'));
    let top: string | undefined;
    for (let i = 0; i < 100 && top !== uuidN(11); i++) {
      await new Promise((r) => setTimeout(r, 20));
      top = (await list(app, 'sort=updated&limit=1&head=0&source=exec')).items[0]?.id;
    }
    expect(top).toBe(uuidN(11));
  });

  it('looks up ids through the index, including ambiguous ones', async () => {
    const home = await filterHome();
    await writeSession(home, { stamp: '2025-02-01T00-00-00', id: uuidN(1), title: 'dup', archived: true });
    const app = await appFor(home, true);
    expect((await app.inject(`/conversations/${uuidN(2)}`)).json().conversation.title).toBe('write docs');
    const dup = await app.inject(`/conversations/${uuidN(1)}`);
    expect([dup.statusCode, dup.json().code]).toEqual([409, 'AMBIGUOUS_ID']);
    expect((await app.inject(`/conversations/${uuidN(0x77)}`)).json().code).toBe('NOT_FOUND');
  });
});

