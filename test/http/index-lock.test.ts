import { appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp, indexReady, tempHome, uuidN, writeSession } from '../helper.js';
import { eventually } from '../net.js';
import { writeUsageTree } from './usage-tree.js';

/** Issue 17.2: a SQLite lock held by another process is waited for, never taken for corruption. */

async function homeWithSessions(): Promise<{ home: string; rels: string[] }> {
  const home = await tempHome();
  const rels: string[] = [];
  for (let n = 1; n <= 3; n++) {
    rels.push(await writeSession(home, { stamp: `2025-01-0${n}T00-00-00`, id: uuidN(n), title: `session ${n}`, cwd: '/home/u/p' }));
  }
  return { home, rels };
}

const ids = async (app: FastifyInstance, query = 'limit=50') =>
  ((await app.inject(`/conversations?${query}`)).json() as { items: { id: string }[] }).items.map((i) => i.id);

const rowSize = (indexPath: string, id: string) => {
  const db = new Database(indexPath, { readonly: true });
  try {
    return (db.prepare('SELECT content_size FROM sessions WHERE id = ?').pluck().get(id) as number | undefined) ?? -2;
  } finally {
    db.close();
  }
};

/** Another process's write lock on the index file, held until `release`. */
function holdLock(indexPath: string) {
  const holder = new Database(indexPath);
  holder.exec('BEGIN IMMEDIATE');
  return () => {
    holder.exec('ROLLBACK');
    holder.close();
  };
}

describe('a locked index file (issue 17.2)', () => {
  it('held at start-up: the index waits (state waiting, /readyz 503 with the reason, a warn line), never deletes the file', async () => {
    const { home } = await homeWithSessions();
    const indexPath = join(await tempHome(), 'index.sqlite');
    const first = await buildTestApp(home, { indexPath });
    await indexReady(first);
    const expected = await ids(first);
    await first.close();

    const release = holdLock(indexPath);
    const logs: string[] = [];
    const app = await buildTestApp(home, { indexPath }, logs);
    try {
      const waiting = await eventually(
        () => app.inject('/readyz'),
        (r) => r.json().index?.state === 'waiting',
        10_000,
      );
      expect(waiting.statusCode).toBe(503);
      expect(waiting.json().status).toMatch(/^index waiting: the index file is locked by another process/);
      expect(waiting.json().degraded.join(' ')).toMatch(/locked by another process/);
      const warn = logs.map((l) => JSON.parse(l)).find((l) => l.level === 40 && /locked by another process/.test(l.msg));
      expect(warn).toBeDefined();
      expect(await ids(app)).toEqual(expected); // served by scanning meanwhile
    } finally {
      release();
    }
    const ready = await eventually(
      () => app.inject('/readyz'),
      (r) => r.statusCode === 200 && r.json().index.complete === true,
      10_000,
    );
    expect(ready.json()).toMatchObject({ status: 'ready', index: { state: 'ready', reason: null } });
    // The complete index of the last run was kept: it answered without a build pass.
    const passes = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'metadata index pass started').map((l) => l.pass);
    expect(passes).not.toContain('build');
    expect(await ids(app)).toEqual(expected);
  });

  it('held while a session grows: the update waits for the lock and is not dropped', async () => {
    const { home, rels } = await homeWithSessions();
    const indexPath = join(await tempHome(), 'index.sqlite');
    const app = await buildTestApp(home, { indexPath });
    await indexReady(app);
    const release = holdLock(indexPath);
    let size: number;
    try {
      const line = { timestamp: '2025-01-01T00:00:09Z', type: 'event_msg', payload: { type: 'agent_message', message: 'zebrafish' } };
      await appendFile(join(home, rels[0]!), `${JSON.stringify(line)}\n`);
      size = (await stat(join(home, rels[0]!))).size;
      const waiting = await eventually(
        () => app.inject('/readyz'),
        (r) => r.json().index?.state === 'waiting',
        10_000,
      );
      expect(waiting.statusCode).toBe(503);
      // Meanwhile answers come from the files: the new text is found.
      const found = (await app.inject('/search?q=zebrafish')).json() as { items: { id: string }[] };
      expect(found.items.map((i) => i.id)).toEqual([uuidN(1)]);
    } finally {
      release();
    }
    expect(await eventually(async () => rowSize(indexPath, uuidN(1)), (n) => n === size, 10_000)).toBe(size);
    const ready = await eventually(() => app.inject('/readyz'), (r) => r.statusCode === 200, 10_000);
    expect(ready.json().index).toMatchObject({ state: 'ready', complete: true });
    const found = (await app.inject('/search?q=zebrafish')).json() as { items: { id: string }[] };
    expect(found.items.map((i) => i.id)).toEqual([uuidN(1)]);
  });

  it('two instances on one home and one index file build it together without failing or corrupting each other', async () => {
    const home = await tempHome();
    await writeUsageTree(home);
    for (let n = 1; n <= 40; n++) {
      await writeSession(home, { stamp: `2025-02-${String((n % 27) + 1).padStart(2, '0')}T00-00-00`, id: uuidN(100 + n), title: `t${n}` });
    }
    const indexPath = join(await tempHome(), 'index.sqlite');
    const logsA: string[] = [];
    const logsB: string[] = [];
    const [a, b] = await Promise.all([buildTestApp(home, { indexPath }, logsA), buildTestApp(home, { indexPath }, logsB)]);
    await Promise.all([indexReady(a), indexReady(b)]);
    const scan = await buildTestApp(home);
    const usage = '/usage?groupBy=session&archived=all&limit=500';
    const truth = (await scan.inject(usage)).json();
    for (const app of [a, b]) {
      const ready = (await app.inject('/readyz')).json();
      expect(ready.index).toMatchObject({ state: 'ready', complete: true, reason: null });
      expect((await app.inject(usage)).json().rows).toEqual(truth.rows);
      expect(await ids(app, 'limit=100&sort=updated')).toEqual(await ids(scan, 'limit=100&sort=updated'));
    }
    for (const logs of [logsA, logsB]) {
      const failures = logs.map((l) => JSON.parse(l)).filter((l) => l.level >= 50 || /pass failed|UNIQUE/.test(`${l.msg} ${l.err?.message}`));
      expect(failures).toEqual([]);
    }
    // Nothing was added twice: the rollup is the sum of the counted responses.
    const db = new Database(indexPath, { readonly: true });
    try {
      const docs = db.prepare('SELECT count(*) FROM search_docs').pluck().get() as number;
      const distinct = db.prepare('SELECT count(DISTINCT id) FROM search_docs').pluck().get() as number;
      expect(docs).toBe(distinct);
      expect(db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    } finally {
      db.close();
    }
  });
});
