import { posix, win32 } from 'node:path';
import { RolloutError, RolloutErrorKind } from '../errors.js';
import type { FilterInput, SessionSource, SessionSummary } from '../types.js';
import { fold } from '../fold.js';
import { timeBounds } from './time-bounds.js';

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
  // The list's bounds are on its sort key, in UTC.
  Object.assign(filter, timeBounds(input.since, input.until, 'utc'));
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
