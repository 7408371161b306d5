// A list page's keys come from an index alone, never from the table's rows: the rows are ~13 KB
// in a WITHOUT ROWID table, and reading each one the index walk passed cost 4.3 s for
// `source=interactive` on 100,000 sessions that match nothing (docs/performance.md).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { IndexQuery } from '../../../src/rollout/index/metadata-index.js';
import { listRowsQuery } from '../../../src/rollout/index/sqlite/list-query.js';
import { SESSIONS_SCHEMA } from '../../../src/rollout/index/sqlite/schema.js';
import { SearchStore, createSearchTables } from '../../../src/rollout/index/sqlite/search.js';
import { parseSearchQuery } from '../../../src/rollout/search/match.js';
import type { SessionSource } from '../../../src/rollout/types.js';

/**
 * The planner statistics of a 10,000-session index of one home (what ANALYZE, bounded by
 * analysis_limit, wrote after its first pass): without them SQLite plans for an empty table.
 */
function analyzed(db: Database.Database): void {
  db.exec('ANALYZE');
  const stat = db.prepare('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)');
  stat.run('sessions', 'sessions', '10000 1001 1');
  for (const idx of ['sessions_by_key', 'sessions_by_mtime']) stat.run('sessions', idx, '10000 1001 1 1 1 1 1 1 1 1');
  stat.run('sessions', 'sessions_source', '10000 1001 1001 1 1 1 1 1 1 1');
  for (const idx of ['sessions_cwd', 'sessions_provider']) stat.run('sessions', idx, '10000 1001 1');
  stat.run('sessions', 'sessions_fid', '10000 1');
  stat.run('sessions', 'sessions_id', '10000 1');
  stat.run('sessions', 'sessions_usage', '10000 1 1 1 1 1 1 1');
  db.exec('ANALYZE sqlite_schema');
}

function planOf(q: IndexQuery, stats = false): string[] {
  const db = new Database(':memory:');
  db.exec(SESSIONS_SCHEMA);
  if (stats) analyzed(db);
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
        for (const stats of [false, true]) {
          const plan = planOf({ ...base, sort, filter }, stats);
          const steps = plan.filter((step) => /^(SEARCH|SCAN) s\b/.test(step));
          const rows = steps.pop();
          expect(steps.length, plan.join('; ')).toBeGreaterThan(0);
          for (const keys of steps) expect(keys, `${sort} ${JSON.stringify(filter)}: ${plan.join('; ')}`).toMatch(/COVERING INDEX/);
          expect(rows, plan.join('; ')).toMatch(/^SEARCH s USING PRIMARY KEY \(home=\? AND rel_path=\?\)$/);
        }
      }
    }
  });

  it('seeks each value of a source filter, in key order, instead of walking every key (bench row 5: 54 ms when none matches)', () => {
    for (const source of [['cli', 'vscode'], ['mcp']] as SessionSource[][]) {
      for (const order of ['desc', 'asc'] as const) {
        const plan = planOf({ ...base, order, filter: { source }, after: { key: 'k', mtimeMs: 0 } }, true);
        const seeks = plan.filter((step) => /^SEARCH s USING COVERING INDEX sessions_source \(home=\? AND source=\? AND key[<>]\?\)$/.test(step));
        expect(seeks.length, `${source.join(',')} ${order}: ${plan.join('; ')}`).toBe(source.length);
      }
    }
  });
});

/**
 * A search page adds a condition on the session's file number (`fid`, which no sort index
 * holds): its keys step then reads rows, and SQLite, estimating that step large, scanned the
 * whole table for the join instead of looking up the page's keys (`Mock reply` on 10,000
 * sessions: 1.3 s of SQL per page instead of 27 ms; bench row 8).
 */
function searchPlanOf(q: IndexQuery, probeSessions: boolean): string[] {
  const db = new Database(':memory:');
  db.exec(SESSIONS_SCHEMA);
  db.exec(createSearchTables());
  analyzed(db);
  const search = new SearchStore(db);
  // Enough hits of one phrase (more than the probe's sample) that each session is probed by its
  // range (EXISTS), or few enough to be a list of files.
  const doc = (i: number) => ({ line: i + 1, timestamp: null, role: 'user', kind: 'message', text: 'mock reply' }) as const;
  const docs = Array.from({ length: probeSessions ? 2100 : 3 }, (_, i) => doc(i));
  search.add(1, docs);
  const condition = search.candidateCondition(parseSearchQuery('mock reply', 'phrase', 'messages'), 1);
  const { sql, params } = listRowsQuery(q, 'h', 's.*', condition);
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  db.close();
  return plan.map((r) => r.detail);
}

describe('the query of a search page', () => {
  it('looks up only the rows of the keys found, whichever way the phrase narrows the sessions', () => {
    for (const probe of [true, false]) {
      for (const sort of ['created', 'updated'] as const) {
        const plan = searchPlanOf({ ...base, sort }, probe);
        const rows = plan.filter((step) => /^(SEARCH|SCAN) s\b/.test(step)).at(-1);
        expect(rows, `${sort} probe=${probe}: ${plan.join('; ')}`).toMatch(/^SEARCH s USING PRIMARY KEY \(home=\? AND rel_path=\?\)$/);
      }
    }
  });
});
