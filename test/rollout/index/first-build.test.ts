import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import { Checkpointer } from '../../../src/rollout/index/sqlite/checkpointer.js';
import { SqliteStore } from '../../../src/rollout/index/sqlite/store.js';
import type { WriteOp } from '../../../src/rollout/index/store.js';
import { SLICE_WEIGHT, WriteBatch, opWeight } from '../../../src/rollout/index/write-batch.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import type { RolloutFile } from '../../../src/rollout/types.js';
import { envelopeLines, tempHome, uuidN, type Line } from '../../helper.js';

/** A content operation of one file carrying `chars` characters of text. */
function content(relPath: string, from: number, chars: number): WriteOp {
  const at = { offset: from + 1, lineNo: from + 2, state: {} as never };
  const docs = [{ line: from + 1, role: 'assistant', kind: 'message', timestamp: null, text: 'x'.repeat(chars) }] as never;
  return { kind: 'content', relPath, from, docs, responses: [], hasRecords: false, at, fingerprint: 'f' };
}

/**
 * The first build writes gigabytes into the index on the event loop (SQLite is synchronous):
 * what keeps requests answered is that a flush commits in bounded slices with a turn of the
 * loop between them, and that WAL checkpoints run on a worker thread (docs/index.md).
 */
describe('the first build keeps the event loop free', () => {
  it('commits a large flush in slices of bounded weight, in order, with a turn of the event loop between two', async () => {
    let turns = 0;
    let ticking = true;
    const tick = async () => {
      while (ticking) {
        await nextTurn();
        turns++;
      }
    };
    const ticker = tick();
    const writes: { ops: WriteOp[]; turn: number }[] = [];
    const batch = new WriteBatch(async (ops) => void writes.push({ ops, turn: turns }));
    const ops = Array.from({ length: 40 }, (_, i) => content('a.jsonl', i, SLICE_WEIGHT / 8));
    for (const op of ops) batch.add(op);
    await batch.flush();
    ticking = false;
    await ticker;
    expect(writes.length).toBeGreaterThanOrEqual(5);
    expect(batch.yields).toBe(writes.length - 1);
    for (const w of writes) expect(w.ops.reduce((n, op) => n + opWeight(op), 0)).toBeLessThanOrEqual(SLICE_WEIGHT);
    for (let i = 1; i < writes.length; i++) expect(writes[i]!.turn).toBeGreaterThan(writes[i - 1]!.turn);
    expect(writes.flatMap((w) => w.ops)).toEqual(ops);
  });

  it('writes an operation heavier than a slice alone, and one flush only after every earlier one', async () => {
    const written: WriteOp[] = [];
    const batch = new WriteBatch(async (ops) => {
      await nextTurn();
      written.push(...ops);
    });
    const first = [content('a.jsonl', 0, SLICE_WEIGHT / 2), content('a.jsonl', 1, 2 * SLICE_WEIGHT), content('a.jsonl', 2, 10)];
    const second = [content('b.jsonl', 0, 10)];
    first.forEach((op) => batch.add(op));
    const one = batch.flush();
    second.forEach((op) => batch.add(op));
    const two = batch.flush();
    await Promise.all([one, two]);
    expect(written).toEqual([...first, ...second]);
    expect(batch.yields).toBe(2);
  });

  it('checkpoints a small WAL on its own connection, with no worker thread (a thread is ~9 MB of resident memory)', async () => {
    const dir = await tempHome();
    const path = join(dir, 'index.sqlite');
    const store = new SqliteStore(Database, path, dir, 'h');
    try {
      const file = { relPath: 'sessions/a.jsonl', key: 'k', id: uuidN(1), archived: false } as RolloutFile;
      const stamp = { dev: 1, ino: 1, size: 10, mtimeMs: 1, ctimeMs: 1 };
      await store.write([{ kind: 'entry', entry: { file, stamp, session: null }, resetContent: null }]);
      expect(store.checkpointer.running).toBe(false);
      const r = await store.checkpointer.run('PASSIVE');
      expect(r.log).toBeGreaterThan(0);
      expect(r.checkpointed).toBe(r.log);
      await store.afterPass();
      expect((await stat(`${path}-wal`)).size).toBe(0);
      expect(store.checkpointer.running).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('serves a complete index with a 2 MiB page cache, and builds with 8 MiB (not better-sqlite3\'s 16 MB)', async () => {
    const dir = await tempHome();
    const path = join(dir, 'index.sqlite');
    const cacheOf = (s: SqliteStore) => (s as unknown as { db: Database.Database }).db.pragma('cache_size', { simple: true });
    const building = new SqliteStore(Database, path, dir, 'h');
    try {
      expect(cacheOf(building)).toBe(-8192);
      await building.write([{ kind: 'complete' }]);
      await building.afterPass();
      expect(cacheOf(building)).toBe(-2048);
    } finally {
      await building.close();
    }
    const serving = new SqliteStore(Database, path, dir, 'h');
    try {
      expect(cacheOf(serving)).toBe(-2048);
    } finally {
      await serving.close();
    }
  });

  it('has a large WAL checkpointed by a worker thread on a connection of its own, which ends when idle or after a TRUNCATE', async () => {
    const dir = await tempHome();
    const path = join(dir, 'index.sqlite');
    const store = new SqliteStore(Database, path, dir, 'h');
    const local = () => {
      throw new Error('checkpointed on the writing connection');
    };
    const checkpointer = new Checkpointer(path, { local, fallback: () => {}, workerFromBytes: 1, idleMs: 50 });
    try {
      const file = { relPath: 'sessions/a.jsonl', key: 'k', id: uuidN(1), archived: false } as RolloutFile;
      const stamp = { dev: 1, ino: 1, size: 10, mtimeMs: 1, ctimeMs: 1 };
      await store.write([{ kind: 'entry', entry: { file, stamp, session: null }, resetContent: null }]);
      const r = await checkpointer.run('PASSIVE');
      expect(checkpointer.running).toBe(true);
      expect(r.log).toBeGreaterThan(0);
      expect(r.checkpointed).toBe(r.log);
      for (let waited = 0; checkpointer.running && waited < 5_000; waited += 10) await sleep(10);
      expect(checkpointer.running).toBe(false);
      // The file itself (not only its WAL) holds the row: another connection reads it after the WAL is gone.
      await store.write([{ kind: 'entry', entry: { file, stamp: { ...stamp, size: 11 }, session: null }, resetContent: null }]);
      await checkpointer.run('TRUNCATE');
      expect((await stat(`${path}-wal`)).size).toBe(0);
      expect(checkpointer.running).toBe(false); // ended by the TRUNCATE, not left idling
      expect(await store.get('sessions/a.jsonl')).toMatchObject({ id: uuidN(1), isSession: false });
    } finally {
      await checkpointer.close();
      await store.close();
    }
  });

  it('builds the whole content of a session much larger than a slice', async () => {
    const home = await tempHome();
    const id = uuidN(7);
    const stamp = '2025-01-01T00-00-00';
    const said = (i: number) => `paragraph ${i} ${'lorem ipsum '.repeat(400)} MARK${i}END`;
    const lines: Line[] = [
      ...envelopeLines({ stamp, id, title: 'big' }),
      ...Array.from({ length: 60 }, (_, i) => ({
        timestamp: '2025-01-01T00:00:01Z',
        type: 'response_item',
        payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: said(i) }] },
      })),
    ];
    const rel = `sessions/2025/01/01/rollout-${stamp}-${id}.jsonl`;
    await mkdir(join(home, 'sessions/2025/01/01'), { recursive: true });
    await writeFile(join(home, rel), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const path = join(await tempHome(), 'index.sqlite');
    const index = sqliteIndex({ path, verifyDelayMs: 0 });
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log: pino({ level: 'silent' }), index });
    repo.start();
    try {
      await repo.indexIdle();
      expect(repo.indexProgress().complete).toBe(true);
    } finally {
      await repo.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const row = db.prepare('SELECT size, content_size AS contentSize FROM sessions WHERE id = ?').get(id) as {
        size: number;
        contentSize: number;
      };
      expect(row.contentSize).toBe(row.size);
      const texts = db.prepare("SELECT text FROM search_docs WHERE text LIKE 'paragraph %'").pluck().all() as string[];
      expect(texts.length).toBe(60);
      expect(texts.join('').length).toBeGreaterThan(4 * SLICE_WEIGHT);
      expect(texts.some((t) => t.includes('MARK59END'))).toBe(true);
    } finally {
      db.close();
    }
  });
});
