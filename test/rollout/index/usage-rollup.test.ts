import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import type { UsageAggregate, UsageAggregation } from '../../../src/rollout/index/metadata-index.js';
import { UsageStore } from '../../../src/rollout/index/sqlite/usage.js';
import { offsetIntervals } from '../../../src/rollout/usage/time-buckets.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import { writeUsageTree } from '../../http/usage-tree.js';
import { tempHome } from '../../helper.js';
import { churnUsageTree } from './usage-churn.js';

const QUARTER = 900_000;

/** The rollup as it must be: the counted responses summed per file, quarter hour and model. */
function fromResponses(db: Database.Database): unknown[] {
  return db
    .prepare(
      `SELECT fid, CASE WHEN at_ms IS NULL THEN -2147483648 ` +
        `ELSE (at_ms - ((at_ms % ${QUARTER}) + ${QUARTER}) % ${QUARTER}) / ${QUARTER} END AS qh, ` +
        'model, sum(input) AS i, sum(cached) AS c, sum(output) AS o, sum(reasoning) AS r, count(*) AS n ' +
        'FROM usage_responses WHERE counted = 1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
    )
    .all();
}

const ROLLUP_ROWS = 'SELECT fid, qh, model, input AS i, cached AS c, output AS o, reasoning AS r, n FROM usage_rollup WHERE n <> 0';
const rollup = (db: Database.Database) => db.prepare(`${ROLLUP_ROWS} ORDER BY 1, 2, 3`).all();

describe('the usage rollup', () => {
  it('stays the sum of the counted responses as files come, grow, fork, lose their parent and go', async () => {
    const home = await tempHome();
    const path = join(await tempHome(), 'index.sqlite');
    const paths = await writeUsageTree(home, ['A', 'B', 'C', 'F', 'N', 'R']);
    const log = pino({ level: 'silent' });
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log, index: sqliteIndex({ path }) });
    repo.start();
    await repo.indexIdle();
    const db = new Database(path, { readonly: true });
    const check = async () => {
      await repo.indexIdle();
      expect(rollup(db)).toEqual(fromResponses(db));
    };
    try {
      await check();
      expect(rollup(db).length).toBeGreaterThan(0);
      await churnUsageTree(home, paths, repo, check);
    } finally {
      db.close();
      await repo.close();
    }
  });
});

/** No bounds, a since, an until (inclusive): all on quarter hours, which the rollup answers. */
const BOUNDS = [
  [undefined, undefined],
  [Date.parse('2025-10-02T00:00:00Z'), undefined],
  [undefined, Date.parse('2025-10-03T00:00:00Z') - 1],
] as const;

const FILTERS: UsageAggregation['filter'][] = [{}, { cwd: ['/home/u/other'] }, { source: ['exec', 'cli'] }, { provider: ['azure'] }];

describe('GET /usage from the index', () => {
  it('answers alike from the response rows, the SQL rollup and the rollup in memory, whatever the grouping, zone and filter', async () => {
    const home = await tempHome();
    const path = join(await tempHome(), 'index.sqlite');
    await writeUsageTree(home);
    const log = pino({ level: 'silent' });
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log, index: sqliteIndex({ path }) });
    repo.start();
    await repo.indexIdle();
    const db = new Database(path, { readonly: true });
    try {
      const store = new UsageStore(db);
      const span = store.timeRange()!;
      const sorted = (a: UsageAggregate) => ({
        tokens: [...a.tokens].sort((x, y) => (`${x.bucket}|${x.model}` < `${y.bucket}|${y.model}` ? -1 : 1)),
        sessions: [...a.sessions].sort((x, y) => (`${x.bucket}` < `${y.bucket}` ? -1 : 1)),
      });
      let compared = 0;
      for (const groupBy of ['day', 'week', 'month', 'model', 'cwd', 'source', 'provider', 'session'] as const) {
        for (const tz of ['UTC', 'Asia/Tokyo', 'America/St_Johns', 'Asia/Kathmandu']) {
          for (const archived of ['all', 'false', 'true'] as const) {
            for (const filter of FILTERS) {
              for (const [sinceMs, untilMs] of BOUNDS) {
                const q = { groupBy, offsets: offsetIntervals(tz, span.minMs, span.maxMs), archived, filter, sinceMs, untilMs };
                const expected = sorted(store.aggregate(q, 'responses'));
                expect(sorted(store.aggregate(q, 'rollup'))).toEqual(expected);
                expect(sorted(store.aggregate(q, 'mirror'))).toEqual(expected);
                expect(sorted(store.aggregate(q))).toEqual(expected);
                compared += 1;
              }
            }
          }
        }
      }
      expect(compared).toBe(8 * 4 * 3 * 4 * 3);
    } finally {
      db.close();
      await repo.close();
    }
  });
});
