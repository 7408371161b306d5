import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { initialContentState } from '../../../src/rollout/index/content-state.js';
import { FTS_MERGE } from '../../../src/rollout/index/sqlite/search.js';
import { SqliteStore } from '../../../src/rollout/index/sqlite/store.js';
import type { WriteOp } from '../../../src/rollout/index/store.js';
import type { RolloutFile } from '../../../src/rollout/types.js';
import { tempHome, uuidN } from '../../helper.js';

/** A file read from its start (its entry resets its content) with one prompt of `text`. */
function readFromStart(i: number, text: string): WriteOp[] {
  const relPath = `sessions/f${i}.jsonl`;
  const file = { relPath, key: `k${i}`, id: uuidN(i + 1), archived: false } as RolloutFile;
  const stamp = { dev: 1, ino: i + 1, size: 100, mtimeMs: 1, ctimeMs: 1 };
  const start = { offset: 0, lineNo: 1, state: initialContentState() };
  const docs = [{ line: 1, role: 'user', kind: 'prompt', timestamp: null, text }] as never;
  const at = { offset: 100, lineNo: 2, state: initialContentState() };
  return [
    { kind: 'entry', entry: { file, stamp, session: null }, resetContent: start },
    { kind: 'content', relPath, from: 0, docs, responses: [], hasRecords: false, at, fingerprint: 'f', doneAtSize: 100 },
  ];
}

/**
 * FTS5 holds a transaction's new terms in memory and writes them out as one segment, but any
 * read of the table writes them out first. Dropping the documents of a file read for the first
 * time was such a read: a first build wrote one segment per file, and merged them again.
 */
describe("the trigram tables in a first build", () => {
  it('get one segment per write, not one per new file; a file read again still loses its old documents', async () => {
    const dir = await tempHome();
    const store = new SqliteStore(Database, join(dir, 'index.sqlite'), dir, 'h');
    const db = (store as unknown as { db: Database.Database }).db;
    try {
      // Without automerge every segment stays a row of its own, so the rows count them.
      db.prepare("INSERT INTO search_fts_msg(search_fts_msg, rank) VALUES('automerge', 0)").run();
      const rows = () => db.prepare('SELECT count(*) FROM search_fts_msg_data').pluck().get() as number;
      const empty = rows();
      await store.write(Array.from({ length: 30 }, (_, i) => readFromStart(i, `first text of file ${i}`)).flat());
      expect(rows() - empty).toBeLessThanOrEqual(3);

      await store.write(readFromStart(7, 'second text of file 7'));
      const hits = (needle: string) =>
        db.prepare('SELECT count(*) FROM search_fts_msg WHERE search_fts_msg MATCH ?').pluck().get(`"${needle}"`) as number;
      expect(hits('first text of file 7')).toBe(0);
      expect(hits('second text of file 7')).toBe(1);
      expect(hits('first text of file 8')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('merge 16 segments a level (automerge), in steps (crisismerge), also in an index built before the settings', async () => {
    const dir = await tempHome();
    const path = join(dir, 'index.sqlite');
    const tables = ['search_fts_msg', 'search_fts_tool', 'search_fts_rsn', 'titles_fts'];
    const settings = (db: Database.Database) =>
      tables.map((t) => {
        const rows = db.prepare(`SELECT k, v FROM ${t}_config WHERE k IN ('automerge', 'crisismerge')`).raw().all();
        return Object.fromEntries(rows as [string, number][]);
      });
    const expected = tables.map(() => ({ automerge: 16, crisismerge: 64 }));
    expect(FTS_MERGE).toEqual(expected[0]);

    let store = new SqliteStore(Database, path, dir, 'h');
    const db = (store as unknown as { db: Database.Database }).db;
    expect(settings(db)).toEqual(expected);
    // An index written with FTS5's defaults (4 and 16) is opened again.
    for (const t of tables) {
      db.exec(`INSERT INTO ${t} (${t}, rank) VALUES ('automerge', 4); INSERT INTO ${t} (${t}, rank) VALUES ('crisismerge', 16);`);
    }
    expect(settings(db)[0]).toEqual({ automerge: 4, crisismerge: 16 });
    await store.write(readFromStart(1, 'text of a file'));
    await store.close();
    store = new SqliteStore(Database, path, dir, 'h');
    try {
      expect(settings((store as unknown as { db: Database.Database }).db)).toEqual(expected);
    } finally {
      await store.close();
    }
  });

  it('are merged down after a full pass: a build leaves up to 15 segments a level, searches read every one', async () => {
    const dir = await tempHome();
    const store = new SqliteStore(Database, join(dir, 'index.sqlite'), dir, 'h');
    const db = (store as unknown as { db: Database.Database }).db;
    try {
      // Each write a segment of one leaf (a row of its own): 12 stay unmerged under automerge 16.
      const rows = () => db.prepare('SELECT count(*) FROM search_fts_msg_data').pluck().get() as number;
      const empty = rows();
      for (let i = 0; i < 12; i++) await store.write(readFromStart(i, `text of file ${i}`));
      expect(rows() - empty).toBeGreaterThanOrEqual(12);
      await store.afterPass();
      expect(rows() - empty).toBeLessThanOrEqual(2);
      const hits = (needle: string) =>
        db.prepare('SELECT count(*) FROM search_fts_msg WHERE search_fts_msg MATCH ?').pluck().get(`"${needle}"`) as number;
      expect(hits('text of file')).toBe(12);
      expect(hits('text of file 11')).toBe(1);
    } finally {
      await store.close();
    }
  });
});
