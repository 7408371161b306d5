import { afterAll, expect, it } from 'vitest';
import type { MultiHomeQuery } from '../../src/rollout/index/postgres/multi-home.js';
import { PgMultiHome } from '../../src/rollout/index/postgres/multi-home.js';
import { PROBE_HITS, PROBE_SPREAD, needleChoices, searchConditions, searchFilter } from '../../src/rollout/index/postgres/search.js';
import { Params, listConditions } from '../../src/rollout/index/postgres/sql.js';
import { parseSearchQuery } from '../../src/rollout/search/match.js';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { describePg, migratedDatabase } from './pg.js';

const pools: ReturnType<typeof openPool>[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.end();
});

const SESSIONS = PROBE_HITS + 100;
const HOME = 'pushed:m';

/**
 * A home of SESSIONS sessions in SQL (the index rows only): every session's document holds
 * "common phrase", sessions 10, 20 and 30 also "rare thing", session 5 holds "dense word" in
 * PROBE_HITS + 10 documents; every tenth session also has an archived copy.
 */
async function fill() {
  const pool = openPool(await migratedDatabase(), { max: 2 });
  pools.push(pool);
  await migrate(pool);
  await pool.query(
    `INSERT INTO cs_index_files (home, rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
       is_session, has_user_message, created_ms, content_size)
     SELECT $1, CASE WHEN a THEN 'archived_sessions/' ELSE 'sessions/' END || lpad(i::text, 6, '0') || '.jsonl',
            lpad(i::text, 6, '0'), 'id-' || i, a, 1, i, 100, i, 0, 1000000 + i, true, true, i, 100
       FROM generate_series(1, $2::int) i, unnest(ARRAY[false, true]) a WHERE NOT a OR i % 10 = 0`,
    [HOME, SESSIONS],
  );
  const doc = (line: string, text: string, where: string) =>
    pool.query(
      `INSERT INTO cs_index_docs (fid, line, role, kind, text, folded)
       SELECT f.fid, ${line}, 1, 'message', $1, $1 FROM cs_index_files f ${where}`,
      [text],
    );
  await doc('1', 'a common phrase here', 'WHERE NOT f.archived');
  await doc('2', 'a rare thing', "WHERE NOT f.archived AND f.id IN ('id-10', 'id-20', 'id-30')");
  await doc('2 + g', 'dense word', `CROSS JOIN generate_series(1, ${PROBE_HITS + 10}) g WHERE f.id = 'id-5' AND NOT f.archived`);
  await pool.query('ANALYZE');
  return pool;
}

const page = (limit: number): MultiHomeQuery => ({
  homes: [HOME],
  sort: 'updated',
  order: 'desc',
  archived: 'all',
  includeEmpty: false,
  filter: {},
  nameMatchIds: [],
  limit,
});

describePg('search candidates in PostgreSQL', () => {
  it('lists the files of a rare needle, probes sessions for a common one, leaves a dense one to the planner', async () => {
    const pool = await fill();
    const filterOf = (q: string) => searchFilter(parseSearchQuery(q, 'phrase', 'all'));
    const choices = await needleChoices(pool, filterOf('rare thing'));
    expect(choices).toEqual([{ fids: expect.any(Array) }]);
    expect((choices[0] as { fids: number[] }).fids).toHaveLength(3);
    expect(await needleChoices(pool, filterOf('common phrase'))).toEqual(['probe']);
    expect(PROBE_SPREAD).toBeGreaterThan(1);
    expect(await needleChoices(pool, filterOf('dense word'))).toEqual(['planner']);

    // Each choice answers what the planner's form answers, page after page.
    const multi = new PgMultiHome(pool);
    for (const q of ['rare thing', 'common phrase', 'dense word', 'common phrase here']) {
      const filter = filterOf(q);
      const p = new Params();
      const where = [`s.home = ${p.add(HOME)}`, ...listConditions(page(0), p), ...searchConditions(filter, p)];
      const { rows } = await pool.query<{ id: string }>(
        `SELECT s.id FROM cs_index_files s WHERE ${where.join(' AND ')} ORDER BY s.mtime_ms DESC, s.key DESC LIMIT 60`,
        p.values,
      );
      const first = await multi.query(page(30), filter);
      const last = first[first.length - 1]!;
      const second = await multi.query({ ...page(30), after: { key: last.key, mtimeMs: last.mtimeMs, home: HOME } }, filter);
      expect([...first, ...second].map((r) => r.id)).toEqual(rows.map((r) => r.id));
    }
  });

  it('probes a common needle session by session, and an archived row for its active copy by index', async () => {
    const pool = await fill();
    const filter = searchFilter(parseSearchQuery('common phrase', 'phrase', 'all'));
    const p = new Params();
    const where = [`s.home = ${p.add(HOME)}`, ...listConditions(page(0), p), ...searchConditions(filter, p, ['probe'])];
    const sql = `SELECT s.id FROM cs_index_files s WHERE ${where.join(' AND ')} ORDER BY s.mtime_ms DESC, s.key DESC LIMIT 25`;
    const plan = (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, p.values)).rows.map((r) => r['QUERY PLAN']).join('\n');
    // Neither the needle's hits nor the active rows are read whole (hashed) before the first row of the page.
    expect(plan).not.toMatch(/hashed SubPlan|cs_index_docs_folded|Seq Scan/);
    expect(plan).toMatch(/cs_index_files_active_key/);
  });
});
