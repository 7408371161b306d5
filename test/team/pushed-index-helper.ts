// What the differential and upkeep tests of pushed homes share: the upkeep over a test database,
// the SQLite index of the same home, and a digest of what an index store answers.
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import pino from 'pino';
import { expect } from 'vitest';
import { homeId } from '../../src/rollout/index/identity.js';
import { SqliteBackend, sqliteIndex } from '../../src/rollout/index/sqlite/backend.js';
import type { IndexQuery } from '../../src/rollout/index/metadata-index.js';
import type { IndexStore } from '../../src/rollout/index/store.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../src/rollout/reading/session-reader.js';
import { MemoryBudget } from '../../src/rollout/reading/byte-budget.js';
import { RolloutRepository } from '../../src/rollout/repository.js';
import { fold, parseSearchQuery } from '../../src/rollout/search/match.js';
import { GROUP_BY } from '../../src/rollout/usage/grouping.js';
import { offsetIntervals } from '../../src/rollout/usage/time-buckets.js';
import { openPool } from '../../src/team/db/pool.js';
import { runTeamCommand } from '../../src/team/commands.js';
import { PushedUpkeep } from '../../src/team/read/pushed-upkeep.js';
import { afterThisTest, tempHome } from '../helper.js';
import type { Team } from './team-helper.js';


const silent = pino({ level: 'silent' });

export const readEnv = async (): Promise<ReadEnv> => ({
  realRoot: '/nonexistent',
  limits: DEFAULT_READ_LIMITS,
  budget: new MemoryBudget(64 * 1024 * 1024, 30_000),
  waitMs: Number.POSITIVE_INFINITY,
});

/** An upkeep of pushed homes on its own pool of the team's database (not started: tests run it). */
export function pushedUpkeep(
  team: Team,
  options: { fullEveryMs?: number; pageSize?: number; largeFileBytes?: number } = {},
): { upkeep: PushedUpkeep; pool: pg.Pool } {
  const pool = openPool(team.url, { max: 6 });
  const upkeep = new PushedUpkeep({ pool, env: readEnv, log: silent, ...options });
  afterThisTest(() => pool.end());
  afterThisTest(() => upkeep.close());
  return { upkeep, pool };
}

/**
 * `codex-sessions push --once` of `home`, run in this process: the tests using it are about what
 * the server makes of a push, and a spawned CLI cost a Node start-up and its imports each time
 * (push.test.ts and push-digest.test.ts run the built CLI itself). Its stderr is kept for the failure message.
 */
export async function pushOnce(team: Team, token: string, home: string): Promise<void> {
  const stderr: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  let code: number;
  try {
    code = await runTeamCommand('push', ['--server', team.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: token });
  } finally {
    process.stderr.write = write;
  }
  expect(code, stderr.join('')).toBe(0);
}

/** The SQLite index of `home`, built by the single-machine repository, opened as a store. */
export async function sqliteStoreOf(home: string): Promise<{ store: IndexStore; titles: () => Map<string, string | null> }> {
  const path = join(await tempHome(), 'index.sqlite');
  const index = sqliteIndex({ path, verifyDelayMs: 0 });
  const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 100_000, log: silent, index });
  repo.start();
  await repo.indexIdle();
  await repo.close();
  const store = await new SqliteBackend(path, resolve(home)).open(homeId(resolve(home)), false);
  afterThisTest(() => store.close());
  const titles = () => {
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare('SELECT rel_path AS p, title FROM sessions WHERE is_session').all() as { p: string; title: string | null }[];
      return new Map(rows.map((r) => [r.p, r.title]));
    } finally {
      db.close();
    }
  };
  return { store, titles };
}

export async function pgTitles(pool: pg.Pool, home: string): Promise<Map<string, string | null>> {
  const { rows } = await pool.query<{ p: string; title: string | null }>(
    'SELECT rel_path AS p, title FROM cs_index_files WHERE home = $1 AND is_session',
    [home],
  );
  return new Map(rows.map((r) => [r.p, r.title]));
}

const QUERIES: IndexQuery[] = (['created', 'updated'] as const).flatMap((sort) =>
  (['desc', 'asc'] as const).flatMap((order) =>
    (['false', 'true', 'all'] as const).flatMap((archived) =>
      [false, true].map((includeEmpty) => ({ sort, order, archived, includeEmpty, filter: {}, nameMatchIds: [], limit: 10_000 })),
    ),
  ),
);

const NEEDLES = ['the', 'error', 'test', 'ok', 'function', 'zzzz-not-there'];

/**
 * What a store answers about its home, in a form two backends can be compared by: every page
 * order, the counted usage of every file and per group, and the documents each search finds.
 */
export async function digest(store: IndexStore): Promise<unknown> {
  const pages: string[][] = [];
  for (const q of QUERIES) pages.push((await store.query(q)).map((r) => `${r.relPath} ${r.id} ${r.mtimeMs}`));
  const every = (await store.query(QUERIES[4]!)).map((r) => r.relPath).sort();
  const usageOf = [...(await store.usageOf(every)).entries()].sort();
  const span = await store.usageTimeRange();
  const aggregates: unknown[] = [];
  if (span !== null) {
    const offsets = offsetIntervals('UTC', span.minMs, span.maxMs);
    for (const groupBy of GROUP_BY) {
      for (const archived of ['false', 'all'] as const) {
        const got = await store.aggregateUsage({ groupBy, offsets, archived, filter: {} });
        const key = (x: { bucket: unknown; model?: string }) => `${String(x.bucket)} ${x.model ?? ''}`;
        aggregates.push({
          groupBy,
          archived,
          tokens: [...got.tokens].sort((a, b) => key(a).localeCompare(key(b))),
          sessions: [...got.sessions].sort((a, b) => key(a).localeCompare(key(b))),
        });
      }
    }
  }
  const hits: unknown[] = [];
  for (const needle of NEEDLES) {
    const search = parseSearchQuery(needle, 'phrase', 'all');
    const filter = await store.searchFilter(search, 20);
    const rows = await store.query({ ...QUERIES[0]!, archived: 'all' }, filter);
    for (const row of rows) {
      const docs = (await store.documents(row.relPath, search, 0)) ?? [];
      // A store's documents are a superset (a short needle narrows nothing): compare what matches.
      const found = docs.filter((d) => fold(d.text).includes(fold(needle)));
      if (found.length > 0) hits.push({ needle, path: row.relPath, docs: found.map((d) => `${d.line}:${d.text.slice(0, 200)}`) });
    }
  }
  return { pages, usageOf, span, aggregates, hits };
}
