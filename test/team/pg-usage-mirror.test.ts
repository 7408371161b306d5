// The in-memory usage rollup of the team index (src/rollout/index/postgres/usage-mirror.ts): it
// answers what the SQL over the rollup answers, and only while the database's change counter
// (migration 7) says it holds what it copied, whichever instance wrote the change.
import type pg from 'pg';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import type { UsageAggregate, UsageAggregation } from '../../src/rollout/index/metadata-index.js';
import { pgIndex } from '../../src/rollout/index/postgres/backend.js';
import { aggregateUsageOf, usageTimeRangeOf } from '../../src/rollout/index/postgres/usage.js';
import { PgUsageMirror } from '../../src/rollout/index/postgres/usage-mirror.js';
import type { MirrorQuery } from '../../src/rollout/index/sqlite/usage-mirror.js';
import { RolloutRepository } from '../../src/rollout/repository.js';
import { offsetIntervals } from '../../src/rollout/usage/time-buckets.js';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { openPool } from '../../src/team/db/pool.js';
import { writeUsageTree } from '../http/usage-tree.js';
import { tempHome } from '../helper.js';
import { eventually } from '../net.js';
import { churnUsageTree } from '../rollout/index/usage-churn.js';
import { describePg, migratedDatabase } from './pg.js';
import { pushOnce, pushedUpkeep } from './pushed-index-helper.js';
import { teamGet } from './team-read-helper.js';
import { startTeam } from './team-helper.js';

const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

const sorted = (a: UsageAggregate) => ({
  tokens: [...a.tokens].sort((x, y) => (`${x.bucket}|${x.model}` < `${y.bucket}|${y.model}` ? -1 : 1)),
  sessions: [...a.sessions].sort((x, y) => (`${x.bucket}` < `${y.bucket}` ? -1 : 1)),
});

const GROUPS = ['day', 'week', 'month', 'model', 'cwd', 'source', 'provider', 'session', 'home'] as const;
const FILTERS: UsageAggregation['filter'][] = [{}, { cwd: ['/home/u/other'] }, { source: ['exec', 'cli'] }, { provider: ['azure'] }];
const SINCE = Date.parse('2025-10-02T00:00:00Z');

describePg('the in-memory usage rollup of the team index', () => {
  it('answers as the SQL over the rollup, and is not used once another connection changed the index', async () => {
    const home = await tempHome();
    const paths = await writeUsageTree(home, ['A', 'B', 'C', 'F', 'N', 'R']);
    const url = await migratedDatabase();
    const writer = openPool(url, { max: 4 });
    const reader = openPool(url, { max: 2 });
    pools.push(writer, reader);
    const log = pino({ level: 'silent' });
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log, index: pgIndex({ pool: writer }) });
    repo.start();
    const mirror = new PgUsageMirror(reader, 0);
    const compare = async (all: boolean) => {
      await repo.indexIdle();
      // Current once read again after the change: a copy of before the change never answers.
      const copy = await eventually(() => mirror.current(), (c) => c !== null, 10_000);
      expect(copy).not.toBeNull();
      const homes = (await reader.query<{ home: string }>('SELECT home FROM cs_index_homes')).rows.map((r) => r.home);
      const span = (await usageTimeRangeOf(reader, homes))!;
      const fromCopy = homes.map((h) => copy!.range.get(h)!);
      expect({ minMs: Math.min(...fromCopy.map((r) => r.minMs)), maxMs: Math.max(...fromCopy.map((r) => r.maxMs)) }).toEqual(span);
      const queries: MirrorQuery[] = [];
      const groups = all ? GROUPS : (['day'] as const);
      for (const groupBy of groups) {
        for (const tz of all ? ['UTC', 'Asia/Kathmandu', 'America/St_Johns'] : ['UTC']) {
          for (const archived of ['all', 'false', 'true'] as const) {
            for (const filter of all ? FILTERS : [{}]) {
              const offsets = offsetIntervals(tz, span.minMs, span.maxMs);
              queries.push({ groupBy, offsets, archived, filter }, { groupBy, offsets, archived, filter, sinceMs: SINCE });
            }
          }
        }
      }
      for (const q of queries) {
        expect(sorted(copy!.aggregate(q, homes))).toEqual(sorted(await aggregateUsageOf(reader, homes, q, 'rollup')));
      }
      expect(sorted(copy!.aggregate(queries[0]!, ['another home']))).toEqual({ tokens: [], sessions: [] });
    };
    try {
      await compare(true);
      await churnUsageTree(home, paths, repo, () => compare(false));
    } finally {
      await repo.close();
    }
  });

  it('two instances: a push indexed by one is in the next /usage of the other', async () => {
    const team = await startTeam();
    const other = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: team.url });
    try {
      const otherBase = await other.listen({ host: '127.0.0.1', port: 0 });
      const read = await team.token('read');
      const push = await team.token('push', 'erin');
      const home = await tempHome();
      await writeUsageTree(home, ['A', 'N']);
      await pushOnce(team, push, home);
      // Indexed to the end before the first read (as pushedTeam does): a read while the server's
      // own upkeep is between the two files would take half the push for `first`.
      const { upkeep } = pushedUpkeep(team);
      expect(await upkeep.run(true, true)).toBe(true);
      const days = async (base: string) => (await teamGet({ ...team, base }, '/usage?groupBy=day&tz=UTC', read)).json();
      const first = await eventually(() => days(team.base), (u: { rows: unknown[] }) => u.rows.length > 0, 20_000);
      // The other instance answers the same, then again from its copy (read in the background after its first answer).
      expect(await days(otherBase)).toEqual(first);
      await new Promise((r) => setTimeout(r, 500));
      expect(await days(otherBase)).toEqual(first);
      await writeUsageTree(home, ['B', 'C']);
      await pushOnce(team, push, home);
      expect(await upkeep.run(true, true)).toBe(true);
      const second = await eventually(() => days(team.base), (u) => JSON.stringify(u) !== JSON.stringify(first), 20_000);
      expect(second).not.toEqual(first);
      expect(await days(otherBase)).toEqual(second);
    } finally {
      await other.close();
    }
  });
});
