// The usage rollup of the PostgreSQL index (migration 4, src/team/db/usage-rollup-schema.ts):
// kept by triggers as files come, grow, fork, lose their parent and go, and answering /usage
// exactly as the response rows do (as test/rollout/index/usage-rollup.test.ts for SQLite).
import type pg from 'pg';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import type { UsageAggregate, UsageAggregation } from '../../src/rollout/index/metadata-index.js';
import { pgIndex } from '../../src/rollout/index/postgres/backend.js';
import { aggregateUsageOf } from '../../src/rollout/index/postgres/usage.js';
import { RolloutRepository } from '../../src/rollout/repository.js';
import { offsetIntervals } from '../../src/rollout/usage/time-buckets.js';
import { MIGRATIONS, migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { writeUsageTree } from '../http/usage-tree.js';
import { tempHome } from '../helper.js';
import { churnUsageTree } from '../rollout/index/usage-churn.js';
import { describePg, freshDatabase, migratedDatabase } from './pg.js';

const QUARTER = 900_000;
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

/** The rollup as it must be: the counted responses summed per file, quarter hour and model. */
const FROM_RESPONSES =
  `SELECT fid::int, CASE WHEN at_ms IS NULL THEN -2147483648 ` +
  `ELSE ((at_ms - ((at_ms % ${QUARTER}) + ${QUARTER}) % ${QUARTER}) / ${QUARTER})::int END AS qh, model, ` +
  'sum(input)::int AS i, sum(cached)::int AS c, sum(output)::int AS o, sum(reasoning)::int AS r, count(*)::int AS n ' +
  'FROM cs_index_usage WHERE counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3';
const ROLLUP =
  'SELECT fid::int, qh, model, input::int AS i, cached::int AS c, output::int AS o, reasoning::int AS r, n::int ' +
  'FROM cs_index_usage_rollup ORDER BY 1, 2, 3';

async function repository(home: string) {
  const pool = openPool(await migratedDatabase(), { max: 4 });
  pools.push(pool);
  const log = pino({ level: 'silent' });
  const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log, index: pgIndex({ pool }) });
  repo.start();
  await repo.indexIdle();
  return { pool, repo };
}

const BOUNDS = [
  [undefined, undefined],
  [Date.parse('2025-10-02T00:00:00Z'), undefined],
  [undefined, Date.parse('2025-10-03T00:00:00Z') - 1],
] as const;

const FILTERS: UsageAggregation['filter'][] = [{}, { cwd: ['/home/u/other'] }, { source: ['exec', 'cli'] }, { provider: ['azure'] }];

describePg('the usage rollup in PostgreSQL', () => {
  it('stays the sum of the counted responses as files come, grow, fork, lose their parent and go', async () => {
    const home = await tempHome();
    const paths = await writeUsageTree(home, ['A', 'B', 'C', 'F', 'N', 'R']);
    const { pool, repo } = await repository(home);
    const check = async () => {
      await repo.indexIdle();
      expect((await pool.query(ROLLUP)).rows).toEqual((await pool.query(FROM_RESPONSES)).rows);
    };
    try {
      await check();
      expect((await pool.query(ROLLUP)).rows.length).toBeGreaterThan(0);
      await churnUsageTree(home, paths, repo, check);
      // Rows of a file whose responses went leave no zero rows behind.
      expect((await pool.query('SELECT count(*)::int AS n FROM cs_index_usage_rollup WHERE n = 0')).rows[0].n).toBe(0);
    } finally {
      await repo.close();
    }
  });

  it('is filled from the responses indexed before it when an older database is migrated', async () => {
    const pool = openPool(await freshDatabase(), { max: 2 });
    pools.push(pool);
    const rollup = MIGRATIONS.find((m) => m.name === 'usage rollup')!.version;
    // The database as the migrations before the rollup left it, with responses indexed.
    await pool.query('CREATE TABLE cs_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz DEFAULT now())');
    for (const m of MIGRATIONS.filter((m) => m.version < rollup)) {
      await pool.query(m.sql);
      await pool.query('INSERT INTO cs_schema (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await pool.query(
      `INSERT INTO cs_index_files (home, rel_path, fid, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms, is_session)
       VALUES ('h', 'a', 1, 'a', 'a', false, 1, 1, 1, 1, 1, 1, true), ('h', 'b', 2, 'b', 'b', false, 1, 2, 1, 1, 1, 1, true)`,
    );
    await pool.query(
      `INSERT INTO cs_index_usage (fid, line, home, source, at_ms, model, input, cached, output, reasoning, counted) VALUES
       (1, 1, 'h', 1, 1759399200000, 'gpt-5', 10, 1, 2, 0, true), (1, 2, 'h', 1, 1759399300000, 'gpt-5', 20, 2, 4, 1, true),
       (1, 3, 'h', 1, 1759400200000, 'gpt-5', 5, 0, 1, 0, true), (1, 4, 'h', 1, null, 'o3', 7, 0, 0, 0, true),
       (2, 1, 'h', 2, -1000, 'gpt-5', 3, 0, 0, 0, true), (2, 2, 'h', 2, 1759399200000, 'gpt-5', 100, 0, 0, 0, false)`,
    );
    const expected = (await pool.query(FROM_RESPONSES)).rows;
    expect(expected).toHaveLength(4); // two quarter hours of file 1, one without a time, one before 1970
    expect(await migrate(pool)).toMatchObject({ from: rollup - 1 });
    expect((await pool.query(ROLLUP)).rows).toEqual(expected);
  });

  it('answers alike from the response rows and the rollup, whatever the grouping, zone, roots, filter and bounds', async () => {
    const home = await tempHome();
    await writeUsageTree(home);
    const { pool, repo } = await repository(home);
    try {
      const { rows } = await pool.query<{ home: string }>('SELECT home FROM cs_index_homes');
      const homes = rows.map((r) => r.home);
      const span = (await pool.query<{ min: number; max: number }>(
        'SELECT min(at_ms)::float8 AS min, max(at_ms)::float8 AS max FROM cs_index_usage WHERE counted',
      )).rows[0]!;
      const sorted = (a: UsageAggregate) => ({
        tokens: [...a.tokens].sort((x, y) => (`${x.bucket}|${x.model}` < `${y.bucket}|${y.model}` ? -1 : 1)),
        sessions: [...a.sessions].sort((x, y) => (`${x.bucket}` < `${y.bucket}` ? -1 : 1)),
      });
      const queries: UsageAggregation[] = [];
      for (const groupBy of ['day', 'week', 'month', 'model', 'cwd', 'source', 'provider', 'session'] as const) {
        // A zone places a response only in a time group (bucketExpression); the other groups get
        // two zones, to see that none leaks in, not four copies of one query.
        const time = groupBy === 'day' || groupBy === 'week' || groupBy === 'month';
        for (const tz of time ? ['UTC', 'Asia/Tokyo', 'America/St_Johns', 'Asia/Kathmandu'] : ['UTC', 'Asia/Kathmandu']) {
          for (const archived of ['all', 'false', 'true'] as const) {
            for (const filter of FILTERS) {
              for (const [sinceMs, untilMs] of BOUNDS) {
                queries.push({ groupBy, offsets: offsetIntervals(tz, span.min, span.max), archived, filter, sinceMs, untilMs });
              }
            }
          }
        }
      }
      // A few at a time (the pool's connections), each compared as it comes.
      let compared = 0;
      for (let i = 0; i < queries.length; i += 4) {
        await Promise.all(
          queries.slice(i, i + 4).map(async (q) => {
            const [expected, got] = await Promise.all([aggregateUsageOf(pool, homes, q, 'responses'), aggregateUsageOf(pool, homes, q)]);
            expect(sorted(got)).toEqual(sorted(expected));
            compared += 1;
          }),
        );
      }
      expect(compared).toBe((3 * 4 + 5 * 2) * 3 * 4 * 3);
      // Something to compare: the whole tree by UTC day is not empty.
      const utc = offsetIntervals('UTC', span.min, span.max);
      const days = await aggregateUsageOf(pool, homes, { groupBy: 'day', offsets: utc, archived: 'all', filter: {} });
      expect(days.tokens.length).toBeGreaterThan(3);
    } finally {
      await repo.close();
    }
  });
});
