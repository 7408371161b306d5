import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { initialContentState } from '../../../src/rollout/index/content-state.js';
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
});
