import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { MTIME_MAX_MS, MTIME_MIN_MS, wholeMtimeMs } from '../../src/rollout/files/file-stamp.js';
import { mtimeIso } from '../../src/rollout/sources/codex/summary.js';
import { buildTestApp, copyOfRealHome, indexReady, list, rolloutRelPath, tempHome, uuidN, writeSession, type ListBody } from '../helper.js';
import { eventually } from '../net.js';

// Issue 9, round two: what a hostile (or broken) Codex home did to the service.
const ID = '01a20b7d-13fb-7791-b243-2fd234d6a429';
const SECRET = 'root:x:0:0:SECRET-OUTSIDE-THE-HOME';

/** A home indexed by one app (then closed), so that a second app starts on a complete index. */
async function indexedHome() {
  const home = await copyOfRealHome();
  const indexPath = join(await tempHome(), 'index.sqlite');
  const first = await buildTestApp(home, { indexPath });
  await indexReady(first);
  await first.close();
  return { home, indexPath };
}

/** A running app over a copy of the real home, its index complete. */
async function liveIndexedApp(file = 'index.sqlite') {
  const home = await copyOfRealHome();
  const indexPath = join(await tempHome(), file);
  const app = await buildTestApp(home, { indexPath });
  await indexReady(app);
  return { home, indexPath, app };
}

const ids = async (app: FastifyInstance, query: string) => (await list(app, query)).items.map((i) => i.id);
const WEB_APP = 'cwd=/home/dev/web-app&head=0&limit=100';

async function corrupt(indexPath: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await writeFile(indexPath + suffix, randomBytes(64 * 1024));
}

async function relPathOf(app: FastifyInstance, id: string): Promise<string> {
  return (await app.inject(`/conversations/${id}`)).json().conversation.path as string;
}

describe('session_index.jsonl that is not a regular file (items 1, 6)', () => {
  it('a FIFO: concurrent lists all answer with names null, later requests too; /readyz says what is degraded', async () => {
    const home = await copyOfRealHome();
    await rm(join(home, 'session_index.jsonl'), { force: true });
    execFileSync('mkfifo', [join(home, 'session_index.jsonl')]);
    const app = await buildTestApp(home);
    const pages = await Promise.all(Array.from({ length: 5 }, () => app.inject('/conversations?limit=1')));
    expect(pages.map((p) => p.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(pages[0]!.json().items[0].name).toBeNull();
    expect((await app.inject(`/conversations/${ID}`)).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect([ready.statusCode, ready.json().status, ready.json().degraded]).toEqual([
      200,
      'degraded',
      ['session_index.jsonl is not a regular file: user-set names are null'],
    ]);
  });

  it('a link to /dev/zero, and a directory: names null, no 500, no spinning', async () => {
    for (const make of [(p: string) => symlink('/dev/zero', p), (p: string) => mkdir(p)]) {
      const home = await copyOfRealHome();
      await rm(join(home, 'session_index.jsonl'), { force: true });
      await make(join(home, 'session_index.jsonl'));
      const app = await buildTestApp(home);
      const page = await list(app, 'limit=3');
      expect(page.items.map((i) => i.name)).toEqual([null, null, null]);
      expect((await app.inject(`/conversations/${ID}`)).json().conversation.name).toBeNull();
      expect((await app.inject('/readyz')).json().degraded).toHaveLength(1);
    }
  });
});

describe('index rows are checked like walked files, on the descriptor that is served (items 1, 2)', () => {
  it('a rollout replaced by a link out of the home while the service was down is not served, in any form', async () => {
    const { home, indexPath } = await indexedHome();
    const outside = join(await tempHome(), 'passwd');
    await writeFile(outside, `${SECRET}\n`);
    const probe = await buildTestApp(home, { indexPath });
    const rel = await relPathOf(probe, ID);
    await probe.close();
    await rm(join(home, rel));
    await symlink(outside, join(home, rel));

    const app = await buildTestApp(home, { indexPath });
    await indexReady(app);
    for (const url of [`/conversations/${ID}?format=ndjson`, `/conversations/${ID}`]) {
      const res = await app.inject(url);
      expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
      expect(res.body).not.toContain('SECRET');
    }
    const ranged = await app.inject({ url: `/conversations/${ID}?format=ndjson`, headers: { range: 'bytes=0-10' } });
    expect(ranged.statusCode).toBe(404);
    // A filtered list (from the index) neither lists it nor indexes what the link points at.
    const filtered = await app.inject('/conversations?cwd=/home/dev/web-app&head=5&tail=5&limit=100');
    expect(filtered.statusCode).toBe(200);
    expect(filtered.body).not.toContain('SECRET');
    expect(filtered.json().items.map((i: { id: string }) => i.id)).not.toContain(ID);
  });

  it('a rollout swapped for a link out while the service runs is never served, not even before the watcher sees the change', async () => {
    const { home, app } = await liveIndexedApp();
    const outside = join(await tempHome(), 'passwd');
    await writeFile(outside, `${SECRET}\n`);
    const rel = await relPathOf(app, ID);
    await ids(app, WEB_APP); // the index row and the day's listing are warm
    const link = join(home, rel, '..', 'swap.tmp');
    await symlink(outside, link);
    await rename(link, join(home, rel)); // atomic: the name never stops existing
    const urls = [
      `/conversations/${ID}?format=ndjson`,
      `/conversations/${ID}`,
      '/conversations?limit=100&head=5&tail=5',
      `/conversations?${WEB_APP}`,
    ];
    const asked = Array.from({ length: 10 }, () => urls).flat();
    const answers = await Promise.all(asked.map((url) => app.inject(url)));
    for (const res of answers) expect(res.body).not.toContain('SECRET');
    // The session itself is gone (404); lists go on without it (200).
    expect(answers.map((r) => r.statusCode)).toEqual(asked.map((url) => (url.startsWith(`/conversations/${ID}`) ? 404 : 200)));
  });

  it('a day directory replaced by a link to a directory outside: the descriptor check refuses what the path check cannot see', async () => {
    const { home, indexPath } = await indexedHome();
    const probe = await buildTestApp(home, { indexPath });
    const rel = await relPathOf(probe, ID);
    await probe.close();
    const day = join(home, rel, '..');
    const outside = join(await tempHome(), 'day');
    await rename(day, outside); // the same file names, now outside the home...
    await writeFile(join(outside, rel.split('/').pop()!), `${SECRET}\n`);
    await symlink(outside, day); // ...reached through a link in the home
    const app = await buildTestApp(home, { indexPath });
    await indexReady(app);
    for (const url of [`/conversations/${ID}?format=ndjson`, `/conversations/${ID}`]) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('SECRET');
    }
  });

  it('a rollout replaced by a FIFO while the service was down hangs nothing: 404, and lists go on', async () => {
    const { home, indexPath } = await indexedHome();
    const probe = await buildTestApp(home, { indexPath });
    const rel = await relPathOf(probe, ID);
    await probe.close();
    await rm(join(home, rel));
    execFileSync('mkfifo', [join(home, rel)]);
    const app = await buildTestApp(home, { indexPath });
    await indexReady(app);
    const urls = [`/conversations/${ID}`, `/conversations/${ID}?format=ndjson`];
    const gets = await Promise.all([...urls, ...urls].map((u) => app.inject(u)));
    expect(gets.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
    expect((await app.inject('/conversations?sort=updated&limit=100&head=0')).statusCode).toBe(200);
    expect((await app.inject('/conversations?limit=100&head=0&tail=2')).statusCode).toBe(200);
  });
});

describe('a corrupted index is replaced while running (item 4)', () => {
  it('queries scan at once, /readyz says 503 with a reason, and the index is rebuilt in the background', async () => {
    const { indexPath, app } = await liveIndexedApp();
    const expected = await ids(app, WEB_APP);
    const updated = await ids(app, 'sort=updated&head=0&limit=100');
    expect(expected.length).toBeGreaterThan(0);
    await corrupt(indexPath);

    // Other page sizes than above: a cached body would answer without asking the index.
    expect(await ids(app, WEB_APP.replace('limit=100', 'limit=99'))).toEqual(expected);
    expect(await ids(app, 'sort=updated&head=0&limit=99')).toEqual(updated);
    expect((await app.inject(`/conversations/${ID}`)).statusCode).toBe(200);
    const ready = await eventually(
      () => app.inject('/readyz'),
      (r) => r.statusCode === 200 && r.json().index.complete === true,
      20_000,
    );
    expect(ready.json()).toMatchObject({ status: 'ready', degraded: [], index: { state: 'ready', reason: null } });
    expect(await ids(app, WEB_APP)).toEqual(expected);
  });

  it('/readyz reports the rebuild as 503 with a reason, never a 500', async () => {
    const { indexPath, app } = await liveIndexedApp();
    await corrupt(indexPath);
    const ready = await app.inject('/readyz');
    // The probe itself finds the damage (it counts the rows): 503 while the rebuild runs, or 200 once it is done.
    expect([200, 503]).toContain(ready.statusCode);
    if (ready.statusCode === 503) {
      expect(ready.json()).toMatchObject({ status: expect.stringMatching(/^index rebuilding: the index file was found corrupt/) });
      expect(ready.json().index.state).toBe('rebuilding');
    }
  });
});

describe('two homes on one index path (item 5)', () => {
  it('the second home does not touch the first one’s index, and says why it scans', async () => {
    const { indexPath, app: a } = await liveIndexedApp('shared.sqlite');
    const homeB = await tempHome();
    await writeSession(homeB, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'b', cwd: '/home/dev/web-app' });
    const expected = await ids(a, WEB_APP);
    const b = await buildTestApp(homeB, { indexPath });
    const readyB = await eventually(
      () => b.inject('/readyz'),
      (r) => r.json().index.state === 'failed',
    );
    expect(readyB.json().index.reason).toMatch(/belongs to another Codex home/);
    expect(readyB.json().degraded[0]).toMatch(/belongs to another Codex home/);
    expect(await ids(b, WEB_APP)).toEqual([uuidN(1)]);
    // A still answers from its own, intact index.
    expect((await a.inject('/readyz')).json().index).toMatchObject({ state: 'ready', complete: true });
    expect(await ids(a, WEB_APP)).toEqual(expected);
  });

  it('a home whose index file is taken over while it runs notices at its next query, and scans instead of answering nothing', async () => {
    const { indexPath, app } = await liveIndexedApp('shared.sqlite');
    const expected = await ids(app, WEB_APP);
    // What an older version of the service did on the same path for another home.
    const other = new Database(indexPath);
    other.exec("DROP TABLE sessions; UPDATE meta SET v = '/some/other/home' WHERE k = 'codex_home';");
    other.close();
    // Another page size: a body cached before the takeover would answer without asking the index.
    expect(await ids(app, WEB_APP.replace('limit=100', 'limit=99'))).toEqual(expected);
    const ready = await app.inject('/readyz');
    expect(ready.json().index).toMatchObject({ complete: false, reason: expect.stringMatching(/another Codex home/) });
  });
});

describe('a symlinked day directory inside the home (item 11)', () => {
  it('is walked once: each session listed once, paging agrees with itself, lookups are not ambiguous', async () => {
    const home = await copyOfRealHome();
    await symlink('24', join(home, 'sessions/2026/11/23'));
    const app = await buildTestApp(home);
    for (const order of ['desc', 'asc']) {
      const whole = (await list(app, `order=${order}&limit=100&head=0`)).items.map((i) => i.id);
      expect(new Set(whole).size).toBe(whole.length);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await list(app, `order=${order}&limit=2&head=0${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        paged.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(paged).toEqual(whole);
    }
    expect((await app.inject(`/conversations/${ID}`)).statusCode).toBe(200);
    expect((await relPathOf(app, ID)).startsWith('sessions/2026/11/24/')).toBe(true);
  });

  it('a link to a rollout of the same name elsewhere is an alias too; a link under another name is its own session', async () => {
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: '2025-01-02T00-00-00', id: uuidN(1), title: 'real' });
    await mkdir(join(home, 'sessions/2025/01/01'), { recursive: true });
    await symlink(join(home, rel), join(home, 'sessions/2025/01/01', rel.split('/').pop()!));
    const app = await buildTestApp(home);
    expect((await list(app)).items.map((i) => i.id)).toEqual([uuidN(1)]);
    expect((await app.inject(`/conversations/${uuidN(1)}`)).statusCode).toBe(200);
    await symlink(join(home, rel), join(home, rolloutRelPath('2025-01-01T00-00-00', uuidN(2))));
    expect((await list(app)).items.map((i) => i.id)).toEqual([uuidN(1), uuidN(2)]);
  });
});

describe('file times a Date or a cursor could not carry (red team)', () => {
  // A Date: Node takes a negative number of seconds for "now".
  const YEAR_1960 = new Date('1960-01-01T00:00:00Z');

  for (const mode of ['scan', 'index'] as const) {
    it(`${mode}: mtimes before 1970 and at 0 page through sort=updated; the limit=0 cursor and until=9999-12-31 find them`, async () => {
      const home = await tempHome();
      for (let i = 1; i <= 4; i++) await writeSession(home, { stamp: `2025-01-0${i}T00-00-00`, id: uuidN(i), title: `t${i}` });
      const pathOf = (i: number) => join(home, rolloutRelPath(`2025-01-0${i}T00-00-00`, uuidN(i)));
      await utimes(pathOf(1), YEAR_1960, YEAR_1960);
      await utimes(pathOf(2), 0, 0);
      const app = await buildTestApp(home, mode === 'index' ? { indexPath: join(await tempHome(), 'index.sqlite') } : {});
      if (mode === 'index') await indexReady(app);
      const page = await list(app, 'sort=updated&order=asc&head=0');
      expect(page.items.map((i) => [i.id, i.updatedAt]).slice(0, 2)).toEqual([
        [uuidN(1), '1960-01-01T00:00:00.000Z'],
        [uuidN(2), '1970-01-01T00:00:00.000Z'],
      ]);
      for (const order of ['asc', 'desc']) {
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          // A cursor at a negative mtime was refused (INVALID_CURSOR): paging stopped at 1960.
          const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
          const next: ListBody = await list(app, `sort=updated&order=${order}&limit=1&head=0${after}`);
          paged.push(...next.items.map((i) => i.id));
          cursor = next.nextCursor;
        } while (cursor !== null);
        expect(new Set(paged).size).toBe(4);
        // The cursor of an empty first page starts before every file (it started at 0 for asc).
        const start = (await list(app, `sort=updated&order=${order}&limit=0`)).nextCursor!;
        expect((await list(app, `sort=updated&order=${order}&head=0&cursor=${encodeURIComponent(start)}`)).items).toHaveLength(4);
      }
      // A day past until=9999-12-31 is the year 10000, which sorted before every directory: nothing was listed.
      expect((await list(app, 'until=9999-12-31&head=0')).items).toHaveLength(4);
    });
  }

  it('an mtime past what a Date holds (tmpfs keeps the year 287,168) is clamped to 9999-12-31, not a RangeError (500)', () => {
    expect(mtimeIso(9e15)).toBe('9999-12-31T23:59:59.999Z');
    expect(mtimeIso(-9e15)).toBe('0000-01-01T00:00:00.000Z');
    expect([wholeMtimeMs(9e15), wholeMtimeMs(-9e15), wholeMtimeMs(1.7)]).toEqual([MTIME_MAX_MS, MTIME_MIN_MS, 1]);
  });
});
