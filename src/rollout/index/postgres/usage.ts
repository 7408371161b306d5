import type pg from 'pg';
import { isFileLocalKey, type UsageResponse } from '../../sources/common/usage-response.js';
import type { GroupBy } from '../../usage/grouping.js';
import { DAY_MS, type OffsetInterval } from '../../usage/time-buckets.js';
import type { ModelUsage, UsageAggregate, UsageAggregation } from '../metadata-index.js';
import { NO_TIME, QUARTER_MS, quarterHoursSuffice } from '../quarter-hours.js';
import { NOT_SHADOWED, Params, named, pgText, rootsCondition } from './sql.js';

/**
 * Cache writes are Claude's (SQLite's usage tables keep them per response); team mode pushes Codex
 * homes only, whose responses have none: zero, so that both stores answer the same rows.
 */
export const NO_CACHE_WRITES = '0::float8 AS "cacheWrite5mTokens", 0::float8 AS "cacheWrite1hTokens"';

const SOURCE_CODES = { record: 1, token_count: 2 } as const;

/**
 * The usage of one home in PostgreSQL: the same rows and rules as SQLite's UsageStore
 * (sqlite/usage.ts), every statement scoped to the home (rule 6 never crosses homes).
 */
export class PgUsage {
  constructor(private readonly home: string) {}

  /**
   * Adds responses of files (inside the write's transaction) in one statement, then rule 1 for the
   * files `withRecords`; returns the keys of the shared responses added, whose owner the caller
   * decides again (reownMany) once the write's other changes are made.
   */
  async addMany(
    client: pg.ClientBase,
    files: readonly { fid: number; responses: readonly UsageResponse[] }[],
    withRecords: readonly number[],
  ): Promise<Set<string>> {
    const keys = new Set<string>();
    // A line given twice keeps its last response (as one statement per file did).
    const byLine = new Map<string, { fid: number; r: UsageResponse }>();
    for (const { fid, responses } of files) for (const r of responses) byLine.set(`${fid}:${r.lineNo}`, { fid, r });
    if (byLine.size > 0) {
      const all = [...byLine.values()];
      const at = all.map(({ r }) => {
        const ms = r.at === null ? null : Date.parse(r.at);
        return ms === null || Number.isNaN(ms) ? null : ms;
      });
      const shared = all.map(({ r }) => (isFileLocalKey(r.responseKey) ? null : pgText(r.responseKey)));
      await client.query({
        name: 'cs-index-add-usage-of',
        text:
          'INSERT INTO cs_index_usage ' +
          '(fid, home, line, key, thread_id, source, at_ms, model, turn_id, input, cached, output, reasoning, counted) ' +
          'SELECT u.fid, $1, u.line, u.key, u.thread_id, u.source, u.at_ms, u.model, u.turn_id, u.input, u.cached, u.output, ' +
          'u.reasoning, true FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::int2[], $7::bigint[], $8::text[], ' +
          '$9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[]) ' +
          'AS u(fid, line, key, thread_id, source, at_ms, model, turn_id, input, cached, output, reasoning) ' +
          'ON CONFLICT (fid, line) DO UPDATE SET key = excluded.key, thread_id = excluded.thread_id, source = excluded.source, ' +
          'at_ms = excluded.at_ms, model = excluded.model, turn_id = excluded.turn_id, input = excluded.input, ' +
          'cached = excluded.cached, output = excluded.output, reasoning = excluded.reasoning, counted = true',
        values: [
          this.home,
          all.map((x) => x.fid),
          all.map(({ r }) => r.lineNo),
          shared,
          all.map(({ r }) => pgText(r.threadId)),
          all.map(({ r }) => SOURCE_CODES[r.source]),
          at,
          all.map(({ r }) => pgText(r.model)),
          all.map(({ r }) => pgText(r.turnId)),
          all.map(({ r }) => r.inputTokens),
          all.map(({ r }) => r.cachedInputTokens),
          all.map(({ r }) => r.outputTokens),
          all.map(({ r }) => r.reasoningOutputTokens),
        ],
      });
      for (const key of shared) if (key !== null) keys.add(key);
    }
    if (withRecords.length > 0) {
      await client.query({
        name: 'cs-index-rule-1-of',
        text:
          'UPDATE cs_index_usage SET counted = false ' +
          `WHERE fid = ANY($1::bigint[]) AND source = ${SOURCE_CODES.token_count} AND counted`,
        values: [withRecords],
      });
    }
    return keys;
  }

  /** Forgets a file's responses; returns the keys of the shared ones, whose owner the caller decides again (reownMany). */
  async dropFile(client: pg.ClientBase, fid: number): Promise<string[]> {
    const { rows } = await client.query<{ key: string | null }>({
      name: 'cs-index-usage-remove',
      text: 'DELETE FROM cs_index_usage WHERE fid = $1 RETURNING key',
      values: [fid],
    });
    return [...new Set(rows.map((r) => r.key).filter((k) => k !== null))];
  }

  /** Rule 6 again for every shared response carried by the files of listing key `key` (a file moved, and its shadow). */
  async reownKeysOf(client: pg.ClientBase, key: string): Promise<void> {
    const { rows } = await client.query<{ key: string }>({
      name: 'cs-index-usage-keys-of',
      text:
        'SELECT DISTINCT r.key FROM cs_index_usage r JOIN cs_index_files s ON s.fid = r.fid ' +
        'WHERE s.home = $1 AND s.key = $2 AND r.key IS NOT NULL',
      values: [this.home, key],
    });
    await this.reownMany(client, rows.map((r) => r.key));
  }

  /**
   * Rule 6 for shared responses, as SQLite's UsageStore.reown decides it, within this home: three
   * statements for all of them. It depends only on the rows as they are, so deciding once after a
   * write's changes gives what deciding after each change gives.
   */
  async reownMany(client: pg.ClientBase, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    type Carrier = { key: string; fid: number; id: string; createdMs: number | null; relPath: string; threadId: string | null };
    const { rows } = await client.query<Carrier>({
      name: 'cs-index-usage-carriers-of',
      text:
        'SELECT r.key, r.fid::float8 AS fid, s.id, s.created_ms::float8 AS "createdMs", s.rel_path AS "relPath", ' +
        'r.thread_id AS "threadId" FROM cs_index_usage r JOIN cs_index_files s ON s.fid = r.fid ' +
        `WHERE r.home = $1 AND r.key = ANY($2::text[]) AND ${NOT_SHADOWED}`,
      values: [this.home, [...new Set(keys)]],
    });
    const byKey = new Map<string, Carrier[]>();
    for (const c of rows) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
    if (byKey.size === 0) return;
    const threads = [...new Set([...byKey.values()].map((c) => c[0]!.threadId).filter((t) => t !== null))];
    const { rows: found } = await client.query<{ id: string }>({
      name: 'cs-index-sessions-exist',
      text: 'SELECT DISTINCT id FROM cs_index_files WHERE home = $1 AND id = ANY($2::text[]) AND is_session',
      values: [this.home, threads],
    });
    const sessions = new Set(found.map((r) => r.id));
    const owners = [...byKey].map(([key, carriers]): [string, number] => {
      const threadId = carriers[0]!.threadId;
      const own = threadId !== null && sessions.has(threadId);
      const candidates = own ? carriers.filter((c) => c.id === threadId) : carriers;
      candidates.sort(
        (a, b) => (a.createdMs ?? Infinity) - (b.createdMs ?? Infinity) || (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0),
      );
      return [key, candidates[0]?.fid ?? -1];
    });
    await client.query({
      name: 'cs-index-usage-owners',
      text:
        'UPDATE cs_index_usage u SET counted = (u.fid = o.owner) FROM unnest($2::text[], $3::float8[]) AS o(key, owner) ' +
        'WHERE u.home = $1 AND u.key = o.key',
      values: [this.home, owners.map(([k]) => k), owners.map(([, f]) => f)],
    });
  }

  async timeRange(pool: pg.Pool): Promise<{ minMs: number; maxMs: number } | null> {
    return usageTimeRangeOf(pool, [this.home]);
  }

  /** The counted usage of these files, per file and model. */
  async ofFiles(pool: pg.Pool, fids: readonly number[]): Promise<(ModelUsage & { fid: number })[]> {
    if (fids.length === 0) return [];
    const { rows } = await pool.query<ModelUsage & { fid: number }>({
      name: 'cs-index-usage-of',
      text:
        'SELECT fid::float8 AS fid, model, sum(input)::float8 AS "inputTokens", sum(cached)::float8 AS "cachedInputTokens", ' +
        'sum(output)::float8 AS "outputTokens", sum(reasoning)::float8 AS "reasoningOutputTokens", ' +
        `${NO_CACHE_WRITES} FROM cs_index_usage ` +
        'WHERE counted AND fid = ANY($1::bigint[]) GROUP BY fid, model ORDER BY fid, model',
      values: [fids],
    });
    return rows;
  }

  /** The counted usage of the sessions that pass `q`, per group and model, and the sessions per group (groupUsage in SQL). */
  async aggregate(pool: pg.Pool, q: UsageAggregation, via: UsageVia = 'auto'): Promise<UsageAggregate> {
    return aggregateUsageOf(pool, [this.home], q, via);
  }
}

/** Which rows answer a usage query: the rollup when whole quarter hours do (`auto`), or the one named (tests compare them). */
export type UsageVia = 'auto' | 'rollup' | 'responses';

/** What a usage query reads as `r`: each response, or the rollup (migration 4: sums per file, quarter hour and model). */
interface UsageSource {
  table: string;
  /** The home column that serves the source's index (the responses' own; the rollup's is its file's). */
  home: string;
  /** The time of `r` in ms (the start of its quarter hour in the rollup), null without one. */
  at: string;
  /** Conditions of `r` for a time bound: `since` (inclusive) and `until` (inclusive; quarter hours only for the rollup). */
  since: (p: Params, ms: number) => string;
  until: (p: Params, ms: number) => string;
}

const RESPONSES: UsageSource = {
  table: 'cs_index_usage r',
  home: 'r.home',
  at: 'r.at_ms',
  since: (p, ms) => `r.at_ms >= ${p.add(Math.ceil(ms))}`,
  until: (p, ms) => `r.at_ms <= ${p.add(Math.floor(ms))}`,
};

const ROLLUP: UsageSource = {
  table: 'cs_index_usage_rollup r',
  home: 's.home',
  at: `(CASE WHEN r.qh = ${NO_TIME} THEN NULL ELSE r.qh::int8 * ${QUARTER_MS} END)`,
  // On quarter hours only (quarterHoursSuffice): compared in quarter hours, the rollup's key.
  since: (p, ms) => `r.qh >= ${p.add(ms / QUARTER_MS)}`,
  until: (p, ms) => `r.qh < ${p.add((ms + 1) / QUARTER_MS)} AND r.qh <> ${NO_TIME}`,
};

/**
 * The counted usage of the sessions of `homes` that pass `q` (aggregate above, over several
 * homes; the team's queries across machines): group `home` is the row's home. Rule 6 stays
 * within each home (the counted flags), and a session is counted once per home it is in.
 * Whole quarter hours are summed from the rollup (a few rows per session), other bounds and
 * zones from the responses.
 */
export async function aggregateUsageOf(
  pool: pg.Pool,
  homes: readonly string[],
  q: UsageQueryOf,
  via: UsageVia = 'auto',
): Promise<UsageAggregate> {
  const { tokens, sessions } = usageStatements(homes, q, via);
  const [t, s] = await Promise.all([
    pool.query<UsageAggregate['tokens'][number]>(tokens),
    pool.query<UsageAggregate['sessions'][number]>(sessions),
  ]);
  return { tokens: t.rows, sessions: s.rows };
}

type UsageQueryOf = Omit<UsageAggregation, 'groupBy'> & { groupBy: GroupBy | 'home' };

/**
 * aggregateUsageOf's two statements, named by their text. Every value is a parameter, the zone's
 * offsets too (their number is in the text: one CASE arm each), so that a connection prepares each
 * shape once: with the offsets as literals, every zone and every new latest response (the last
 * interval ends there) made a new text, parsed and planned at each request.
 */
export function usageStatements(homes: readonly string[], q: UsageQueryOf, via: UsageVia = 'auto') {
  const src = via !== 'responses' && quarterHoursSuffice(q as UsageAggregation) ? ROLLUP : RESPONSES;
  const p = new Params();
  // One home compares with =, as the single-home statement always did (its index serves it best).
  const home = homes.length === 1 ? `${src.home} = ${p.add(homes[0])}` : `${src.home} = ANY(${p.add(homes)}::text[])`;
  const where = [home, rootsCondition(q.archived)];
  if (src === RESPONSES) where.push('r.counted');
  if (q.sinceMs !== undefined) where.push(src.since(p, q.sinceMs));
  if (q.untilMs !== undefined) where.push(src.until(p, q.untilMs));
  for (const [column, values] of [
    ['s.cwd_norm', q.filter.cwd],
    ['s.source', q.filter.source],
    ['s.model_provider', q.filter.provider],
  ] as const) {
    if (values !== undefined) where.push(`${column} = ANY(${p.add(values)}::text[])`);
  }
  const bucket = bucketExpression(q.groupBy, q.offsets, src.at, p);
  const from = `FROM ${src.table} JOIN cs_index_files s ON s.fid = r.fid WHERE ${where.join(' AND ')}`;
  return {
    tokens: named(
      `SELECT ${bucket} AS bucket, r.model, sum(r.input)::float8 AS "inputTokens", sum(r.cached)::float8 AS "cachedInputTokens", ` +
        `sum(r.output)::float8 AS "outputTokens", sum(r.reasoning)::float8 AS "reasoningOutputTokens", ${NO_CACHE_WRITES} ` +
        `${from} GROUP BY 1, 2`,
      p.values,
    ),
    sessions: named(`SELECT ${bucket} AS bucket, count(DISTINCT (s.home, s.id))::int AS n ${from} GROUP BY 1`, p.values),
  };
}

/** A response's group: a session column, the model, or a day number for time groups (as SQLite's bucketExpression). */
function bucketExpression(groupBy: GroupBy | 'home', offsets: readonly OffsetInterval[], at: string, p: Params): string {
  switch (groupBy) {
    case 'home':
      return 's.home';
    case 'model':
      return 'r.model';
    case 'cwd':
      return 's.cwd_norm';
    case 'source':
      return 's.source';
    case 'provider':
      return 's.model_provider';
    case 'session':
      return 's.id';
    default: {
      // The local day of the response: bigint division truncates towards zero, as SQLite's does.
      const cases = offsets.map(
        (o) => `WHEN ${at} < ${p.add(Math.trunc(o.endMs))}::int8 THEN (${at} + ${p.add(Math.trunc(o.offsetMs))}::int8) / ${DAY_MS}`,
      );
      const day = `(CASE WHEN ${at} IS NULL THEN NULL ${cases.join(' ')} END)`;
      if (groupBy === 'day') return `${day}::int`;
      if (groupBy === 'week') return `(${day} - ((${day} + 3) % 7 + 7) % 7)::int`;
      return `(date_trunc('month', (date '1970-01-01' + ${day}::int)::timestamp)::date - date '1970-01-01')`;
    }
  }
}

/** The earliest and latest counted response of `homes`; null when there is none. */
export async function usageTimeRangeOf(pool: pg.Pool, homes: readonly string[]): Promise<{ minMs: number; maxMs: number } | null> {
  const { rows } = await pool.query<{ minMs: number | null; maxMs: number | null }>({
    name: 'cs-index-usage-range',
    text:
      'SELECT min(at_ms)::float8 AS "minMs", max(at_ms)::float8 AS "maxMs" FROM cs_index_usage ' +
      'WHERE home = ANY($1::text[]) AND counted',
    values: [homes],
  });
  const r = rows[0];
  return r?.minMs == null || r.maxMs == null ? null : { minMs: r.minMs, maxMs: r.maxMs };
}
