import { afterAll, expect, it } from 'vitest';
import { aggregateUsageOf } from '../../src/rollout/index/postgres/usage.js';
import { offsetIntervals } from '../../src/rollout/usage/time-buckets.js';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { describePg, migratedDatabase } from './pg.js';

const pools: ReturnType<typeof openPool>[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.end();
});

describePg('the SQL usage statements', () => {
  it('are prepared once per shape, whatever the zone and the range of its offsets', async () => {
    // One connection: what it has prepared is what every request after the first would reuse.
    const pool = openPool(await migratedDatabase(), { max: 1 });
    pools.push(pool);
    await migrate(pool);
    const from = Date.parse('2026-06-01T00:00:00Z');
    const base = { groupBy: 'day', archived: 'all', filter: {}, sinceMs: from + 7 * 60_000 } as const;
    // Three zones and ranges, one offset interval each (summer), each with its own bounds and offsets.
    const zones = [
      offsetIntervals('UTC', from, from + 86_400_000),
      offsetIntervals('Europe/Paris', from, from + 2 * 86_400_000),
      offsetIntervals('America/New_York', from, from + 3 * 86_400_000),
    ];
    for (const offsets of zones) {
      expect(offsets).toHaveLength(1);
      await aggregateUsageOf(pool, ['a', 'b'], { ...base, offsets }, 'responses');
    }
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%cs_index_usage r JOIN%'",
    );
    // Tokens and sessions: two statements for the three answers (with the offsets in the text: none prepared).
    expect(rows[0]!.n).toBe(2);
  });
});
