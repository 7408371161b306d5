// `q=` from the index walks sessions_by_key in key order, covered, testing the folded title with
// SQLite's instr: a q that no title has (every Claude title and `q=linter`) walks that index, not
// the table's rows with a JavaScript function for each (issue 20: no answer within 60 s on a
// 100,000-session mixed home; 300 ms of CPU against 8 ms on 13,000 Claude rows).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { IndexQuery } from '../../../src/rollout/index/metadata-index.js';
import { listRowsQuery } from '../../../src/rollout/index/sqlite/list-query.js';
import { SESSIONS_SCHEMA } from '../../../src/rollout/index/sqlite/schema.js';
import { TITLES_SCHEMA, TitleStore } from '../../../src/rollout/index/sqlite/titles.js';
import { fold } from '../../../src/rollout/fold.js';

const base = {
  sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter: {}, nameMatchIds: [], limit: 26,
} as IndexQuery;

/** A sessions table of `titles` (one session each, keys in order) with their title trigrams, and planner statistics. */
function table(titles: (string | null)[]): Database.Database {
  const db = new Database(':memory:');
  db.exec(SESSIONS_SCHEMA + TITLES_SCHEMA);
  const trigrams = new TitleStore(db);
  const insert = db.prepare(
    `INSERT INTO sessions (home, rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms, is_session,
       has_user_message, title, title_folded, fid) VALUES ('h', ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 1, 1, ?, ?, ?)`,
  );
  titles.forEach((t, i) => {
    const n = String(i).padStart(6, '0');
    insert.run(`p/${n}`, `2026-01-01T00-00-00|${n}`, `id-${n}`, t, t === null ? null : fold(t), i + 1);
    trigrams.set(i + 1, t === null ? null : fold(t), undefined);
  });
  db.exec('ANALYZE');
  return db;
}

const keysOf = (db: Database.Database, q: IndexQuery) => {
  const { sql, params } = listRowsQuery(q, 'h', 's.key');
  return (db.prepare(sql).all(...params) as { key: string }[]).map((r) => r.key.slice(-6));
};

describe('q from the index', () => {
  it('walks sessions_by_key in key order, covered, whether names match or not, in both orders and after a cursor', () => {
    const db = table(['a', 'b']);
    for (const order of ['desc', 'asc'] as const) {
      for (const nameMatchIds of [[], ['id-000001']]) {
        const q = { ...base, order, nameMatchIds, filter: { q: 'linter' }, after: { key: 'k', mtimeMs: 0 } };
        const { sql, params } = listRowsQuery(q, 'h', 's.*');
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
        expect(plan.join('; ')).toMatch(/SEARCH s USING COVERING INDEX sessions_by_key \(home=\? AND key[<>]\?\)/);
        expect(sql).not.toContain('contains_folded');
      }
    }
  });

  it('matches the folded title and the names that match, as the scan does', () => {
    const db = table(['Fix the LINTER', null, 'ΠΡΟΣ the linter', 'nothing here', 'Linters\nname']);
    expect(keysOf(db, { ...base, filter: { q: fold('LINTER') } })).toEqual(['000004', '000002', '000000']);
    expect(keysOf(db, { ...base, filter: { q: fold('προς') } })).toEqual(['000002']);
    expect(keysOf(db, { ...base, filter: { q: 'linter' }, nameMatchIds: ['id-000003'] })).toEqual(['000004', '000003', '000002', '000000']);
    expect(keysOf(db, { ...base, filter: { q: 'absent' } })).toEqual([]);
    expect(keysOf(db, { ...base, order: 'asc', filter: { q: 'linter' }, after: { key: '2026-01-01T00-00-00|000000', mtimeMs: 0 } }))
      .toEqual(['000002', '000004']);
  });

  it('seeks the files the title trigrams find (sessions_fid) for a needle they narrow, and walks the keys for a short one', () => {
    const titles = Array.from({ length: 3000 }, (_, i) => (i % 1000 === 7 ? `the linter ${i}` : `session ${i}`));
    const db = table(titles);
    const store = new TitleStore(db);
    const planOf = (q: IndexQuery) => {
      const { sql, params } = listRowsQuery(q, 'h', 's.key', store.narrowed(q, 'h'));
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
    };
    for (const sort of ['created', 'updated'] as const) {
      expect(planOf({ ...base, sort, filter: { q: 'linter' } })).toMatch(/SEARCH s USING INDEX sessions_fid \(fid=\?/);
      expect(planOf({ ...base, sort, filter: { q: 'no such title' } })).toMatch(/SEARCH s USING INDEX sessions_fid \(fid=\?/);
    }
    expect(planOf({ ...base, filter: { q: 'li' } })).toMatch(/SEARCH s USING COVERING INDEX sessions_by_key/);
    expect(planOf({ ...base, filter: { q: 'session' } })).toMatch(/SEARCH s USING COVERING INDEX sessions_by_key/); // 2,997 titles
    const keys = (q: IndexQuery) => {
      const { sql, params } = listRowsQuery(q, 'h', 's.key', store.narrowed(q, 'h'));
      return (db.prepare(sql).all(...params) as { key: string }[]).map((r) => r.key.slice(-6));
    };
    expect(keys({ ...base, filter: { q: 'linter' } })).toEqual(['002007', '001007', '000007']);
    expect(keys({ ...base, filter: { q: 'no such title' } })).toEqual([]);
  });
});
