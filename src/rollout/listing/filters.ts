import { posix, win32 } from 'node:path';
import { DateTime } from 'luxon';
import { RolloutError, RolloutErrorKind } from '../errors.js';
import { MTIME_MAX_MS, MTIME_MIN_MS } from '../files/file-stamp.js';
import type { FilterInput, SessionSource, SessionSummary } from '../types.js';
import { fold } from '../search/fold.js';

/** Validated filters: every field is a constraint, absent fields match everything. */
export interface SessionFilter {
  cwd?: string[];
  source?: SessionSource[];
  provider?: string[];
  /** Inclusive bounds in Unix ms on the sort key (createdAt or updatedAt). */
  sinceMs?: number;
  untilMs?: number;
  /** Lower-cased needle for title or name. */
  q?: string;
}

export const SOURCE_VALUES = ['cli', 'vscode', 'exec', 'mcp', 'subagent', 'custom', 'unknown', 'interactive'] as const;
const INTERACTIVE: SessionSource[] = ['cli', 'vscode'];

function invalid(message: string): RolloutError {
  return new RolloutError(RolloutErrorKind.InvalidQuery, message);
}

/**
 * A cwd in canonical form: `.`/`..` segments resolved, duplicate and trailing separators
 * dropped. Windows paths (drive letter or backslashes) keep Windows rules.
 */
export function normalizeCwd(cwd: string): string {
  const isWindows = /^[A-Za-z]:[\\/]/.test(cwd) || cwd.includes('\\');
  const path = isWindows ? win32 : posix;
  const normalized = path.normalize(cwd);
  const root = path.parse(normalized).root;
  return normalized.length > root.length ? normalized.replace(/[\\/]+$/, '') : normalized;
}

/**
 * A `since`/`until` value in ms. A bare date means the whole UTC day. Instants are the four-digit
 * years that timestamps and mtimes take here: luxon also parses `+275760-09-13` and
 * `-271821-04-20`, whose ms a Date cannot hold (a day later: NaN), and those failed every query.
 */
function instant(name: string, value: string, edge: 'start' | 'end'): number {
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) throw invalid(`${name} must be an ISO 8601 instant or date, got "${value}"`);
  const dateOnly = !value.includes('T');
  const ms = (dateOnly && edge === 'end' ? parsed.endOf('day') : parsed).toMillis();
  if (!(ms >= MTIME_MIN_MS && ms <= MTIME_MAX_MS)) throw invalid(`${name} must lie between 0000-01-01 and 9999-12-31, got "${value}"`);
  return ms;
}

export function parseFilter(input: FilterInput): SessionFilter {
  const filter: SessionFilter = {};
  if (input.cwd?.length) filter.cwd = [...new Set(input.cwd.map(normalizeCwd))];
  if (input.source?.length) {
    const out = new Set<SessionSource>();
    for (const s of input.source) {
      if (!(SOURCE_VALUES as readonly string[]).includes(s)) {
        throw invalid(`source must be one of ${SOURCE_VALUES.join(', ')}, got "${s}"`);
      }
      for (const v of s === 'interactive' ? INTERACTIVE : [s as SessionSource]) out.add(v);
    }
    filter.source = [...out];
  }
  if (input.provider?.length) filter.provider = [...new Set(input.provider)];
  if (input.since !== undefined) filter.sinceMs = instant('since', input.since, 'start');
  if (input.until !== undefined) filter.untilMs = instant('until', input.until, 'end');
  if (filter.sinceMs !== undefined && filter.untilMs !== undefined && filter.sinceMs > filter.untilMs) {
    throw invalid('since must not be after until');
  }
  if (input.q !== undefined && input.q !== '') filter.q = fold(input.q);
  return filter;
}

export function hasFilter(filter: SessionFilter): boolean {
  return Object.keys(filter).length > 0;
}

/** Case-insensitive substring test shared by the scan path and the index (as an SQL function). */
export function containsFolded(haystack: string | null | undefined, foldedNeedle: string): boolean {
  return haystack != null && fold(haystack).includes(foldedNeedle);
}

/** The scan path's filter: the same rules the index applies in SQL. `sortMs` is the sort key's time. */
export function matchesFilter(summary: SessionSummary, filter: SessionFilter, sortMs: number): boolean {
  if (filter.cwd && (summary.cwd === null || !filter.cwd.includes(normalizeCwd(summary.cwd)))) return false;
  if (filter.source && !filter.source.includes(summary.source)) return false;
  if (filter.provider && !filter.provider.includes(summary.modelProvider)) return false;
  if (filter.sinceMs !== undefined && sortMs < filter.sinceMs) return false;
  if (filter.untilMs !== undefined && sortMs > filter.untilMs) return false;
  if (filter.q !== undefined && !containsFolded(summary.title, filter.q) && !containsFolded(summary.name, filter.q)) {
    return false;
  }
  return true;
}
