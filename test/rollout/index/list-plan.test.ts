// A list page's keys come from an index alone, never from the table's rows: the rows are ~13 KB
// in a WITHOUT ROWID table, and reading each one the index walk passed cost 4.3 s for
// `source=interactive` on 100,000 sessions that match nothing (docs/performance.md).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { IndexQuery } from '../../../src/rollout/index/metadata-index.js';
import { listRowsQuery } from '../../../src/rollout/index/sqlite/list-query.js';
import { SESSIONS_SCHEMA } from '../../../src/rollout/index/sqlite/schema.js';

function planOf(q: IndexQuery): string[] {
  const db = new Database(':memory:');
  db.exec(SESSIONS_SCHEMA);
  const { sql, params } = listRowsQuery(q, 'h', 's.*');
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  db.close();
  return plan.map((r) => r.detail);
}

const base = {
  sort: 'created',
  order: 'desc',
  archived: 'false',
  includeEmpty: false,
  filter: {},
  nameMatchIds: [],
  limit: 26,
} as IndexQuery;

describe('the query of a list page', () => {
  it('finds the keys in a covering index for every filter the index holds, then reads only their rows', () => {
    const interactive = ['cli', 'vscode'] as const;
    const filters = [{}, { cwd: ['/w/a'] }, { source: [...interactive] }, { provider: ['azure'] }, { cwd: ['/w/a'], sinceMs: 1 }];
    for (const sort of ['created', 'updated'] as const) {
      for (const filter of filters) {
        const plan = planOf({ ...base, sort, filter });
        const keys = plan.filter((step) => /^(SEARCH|SCAN) s\b/.test(step));
        expect(keys[0], `${sort} ${JSON.stringify(filter)}: ${plan.join('; ')}`).toMatch(/COVERING INDEX/);
        expect(keys[1], plan.join('; ')).toMatch(/^SEARCH s USING PRIMARY KEY \(home=\? AND rel_path=\?\)$/);
      }
    }
  });
});
