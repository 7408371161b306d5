import { DateTime, IANAZone } from 'luxon';
import { RolloutError, RolloutErrorKind } from '../errors.js';
import type { SessionFilter } from '../listing/filters.js';
import type { UsageResponse } from '../sources/common/usage-response.js';
import type { PriceBook } from './pricing.js';
import { ModelTally, type PricedTokens } from './tally.js';
import { BUCKET_FORMAT, TIME_GROUPS, type TimeGroup } from './time-buckets.js';

/** The session selectors of GET /usage (cwd normalised on both sides). */
export type UsageSelectors = Pick<SessionFilter, 'cwd' | 'source' | 'provider'>;

/** Whether a session's facts pass the selectors: a selector given names the fact's value. */
export function passesSelectors(
  facts: { cwd: string | null; source: string | null; provider: string | null },
  filter: UsageSelectors,
): boolean {
  const names = (values: readonly string[] | undefined, value: string | null) =>
    values === undefined || (value !== null && values.includes(value));
  return names(filter.cwd, facts.cwd) && names(filter.source, facts.source) && names(filter.provider, facts.provider);
}

export const GROUP_BY = [...TIME_GROUPS, 'model', 'cwd', 'source', 'provider', 'session'] as const;
export type GroupBy = (typeof GROUP_BY)[number];
export type { TimeGroup };

/** `tz` when it is an IANA zone name luxon knows (`UTC`, `Europe/Berlin`); otherwise INVALID_QUERY. */
export function checkTimeZone(tz: string): string {
  if (!IANAZone.isValidZone(tz)) throw new RolloutError(RolloutErrorKind.InvalidQuery, `tz must be an IANA time zone name, got "${tz}"`);
  return tz;
}

/** Rule 5: the day, ISO week or month of a response's own time in `tz`; null without a readable time. */
export function bucketKey(at: string | null, group: TimeGroup, tz: string): string | null {
  if (at === null) return null;
  const t = DateTime.fromISO(at, { zone: 'utc' });
  return t.isValid ? t.setZone(tz).toFormat(BUCKET_FORMAT[group]) : null;
}

/** What grouping needs of the session a response is counted in. */
export interface SessionFacts {
  id: string;
  cwd: string | null;
  source: string;
  provider: string;
}

export interface UsageRow extends PricedTokens {
  /** The group: a day, week or month in `tz`, a model, cwd, source, provider or session id; null when unknown. */
  key: string | null;
  /** Sessions with usage in this row. */
  sessions: number;
  byModel: Record<string, PricedTokens>;
}

export interface GroupedUsage {
  rows: UsageRow[];
  totals: PricedTokens;
  unpricedModels: string[];
}

function keyOf(r: UsageResponse, s: SessionFacts, groupBy: GroupBy, tz: string): string | null {
  switch (groupBy) {
    case 'model':
      return r.model;
    case 'cwd':
      return s.cwd;
    case 'source':
      return s.source;
    case 'provider':
      return s.provider;
    case 'session':
      return s.id;
    default:
      return bucketKey(r.at, groupBy, tz);
  }
}

export const isTimeGroup = (g: GroupBy): g is TimeGroup => (TIME_GROUPS as readonly string[]).includes(g);

/**
 * The rows of `GET /usage` from counted responses (after rules 1 and 6), independent of
 * storage: the reference the SQL aggregation is checked against. Time groups are sorted by key
 * ascending, the others by total tokens descending, then key; a null key comes last.
 */
export function groupUsage(
  counted: Iterable<{ response: UsageResponse; session: SessionFacts }>,
  groupBy: GroupBy,
  tz: string,
  prices: PriceBook,
): GroupedUsage {
  checkTimeZone(tz);
  const groups = new Map<string | null, { tally: ModelTally; sessions: Set<string> }>();
  const all = new ModelTally();
  for (const { response, session } of counted) {
    const key = keyOf(response, session, groupBy, tz);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { tally: new ModelTally(), sessions: new Set() }));
    g.tally.add(response.model, response);
    g.sessions.add(session.id);
    all.add(response.model, response);
  }
  const rows: UsageRow[] = [...groups].map(([key, g]) => ({
    key,
    ...g.tally.totals(prices),
    sessions: g.sessions.size,
    byModel: g.tally.perModel(prices),
  }));
  return { rows: sortUsageRows(rows, groupBy), totals: all.totals(prices), unpricedModels: all.unpriced(prices) };
}

/** Time groups by key ascending, the others by total tokens descending, then key; a null key comes last. */
export function sortUsageRows(rows: UsageRow[], groupBy: GroupBy): UsageRow[] {
  const byKey = (a: UsageRow, b: UsageRow) => (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1);
  return rows.sort(isTimeGroup(groupBy) ? byKey : (a, b) => b.totalTokens - a.totalTokens || byKey(a, b));
}
