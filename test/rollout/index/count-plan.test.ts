// The list's count (total on a first page) reads a covering index, never the table's rows,
// unless the title filter needs them: the rows are about 1 KB in a WITHOUT ROWID table and spill
// onto overflow pages, so reading a project's rows one by one cost ~1 s on 100,000 sessions
// (docs/performance.md, row 1t).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { IndexQuery } from '../../../src/rollout/index/metadata-index.js';
import { countQuery } from '../../../src/rollout/index/sqlite/list-query.js';
import { SESSIONS_SCHEMA } from '../../../src/rollout/index/sqlite/schema.js';

type CountInput = Omit<IndexQuery, 'after' | 'limit'>;

function planOf(q: CountInput): string {
  const db = new Database(':memory:');
  db.exec(SESSIONS_SCHEMA);
  db.function('contains_folded', (_title: unknown, _needle: unknown) => 1);
  const { sql, params } = countQuery(q, 'h');
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  db.close();
  return plan.map((r) => r.detail).join('; ');
}

const base = { sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter: {}, nameMatchIds: [] } as CountInput;

describe('the count query of a list page', () => {
  it('reads the sort order covering index for every filter but the title', () => {
    const filters = [{}, { cwd: ['/w/a'] }, { source: ['exec' as const] }, { provider: ['azure'] }, { cwd: ['/w/a'], sinceMs: 1 }];
    for (const filter of filters) {
      expect(planOf({ ...base, filter })).toMatch(/^SEARCH s USING COVERING INDEX sessions_by_key \(home=\?\)$/);
      expect(planOf({ ...base, sort: 'updated', filter })).toMatch(/^SEARCH s USING COVERING INDEX sessions_by_mtime \(home=\?/);
    }
    // Archived sessions included: the shadowing test reads the same index.
    expect(planOf({ ...base, archived: 'all', filter: { cwd: ['/w/a'] } })).not.toMatch(/USING INDEX sessions_cwd|SCAN a\b/);
  });

  it('leaves the plan to SQLite with a title filter (the title is only in the table)', () => {
    expect(countQuery({ ...base, filter: { q: 'fix' } }, 'h').sql).not.toContain('INDEXED BY');
    expect(planOf({ ...base, filter: { q: 'fix', cwd: ['/w/a'] } })).not.toBe('');
  });
});
