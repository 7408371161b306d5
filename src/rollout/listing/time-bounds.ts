import { DateTime } from 'luxon';
import { RolloutError, RolloutErrorKind } from '../errors.js';
import { MTIME_MAX_MS, MTIME_MIN_MS } from '../files/file-stamp.js';

/** Inclusive bounds in Unix ms; an absent one does not bound. */
export interface TimeBounds {
  sinceMs?: number;
  untilMs?: number;
}

const invalid = (message: string) => new RolloutError(RolloutErrorKind.InvalidQuery, message);

/**
 * A `since`/`until` value in ms, read in `zone` (an instant without an offset, or a bare date,
 * is local to it). A bare date means its whole day: its start for `since`, its end for `until`.
 * Only the four-digit years that timestamps and mtimes take here: luxon also parses
 * `+275760-09-13` and `-271821-04-20`, whose ms a Date cannot hold (a day later: NaN), and those
 * failed every query.
 */
function instant(name: string, value: string, zone: string, edge: 'start' | 'end'): number {
  const parsed = DateTime.fromISO(value, { zone });
  if (!parsed.isValid) throw invalid(`${name} must be an ISO 8601 instant or date, got "${value}"`);
  const dateOnly = !value.includes('T');
  const ms = (dateOnly && edge === 'end' ? parsed.endOf('day') : parsed).toMillis();
  if (!(ms >= MTIME_MIN_MS && ms <= MTIME_MAX_MS)) throw invalid(`${name} must lie between 0000-01-01 and 9999-12-31, got "${value}"`);
  return ms;
}

/** The one reading of the `since` and `until` parameters (the list and search on their sort key, usage on response times). */
export function timeBounds(since: string | undefined, until: string | undefined, zone: string): TimeBounds {
  const bounds: TimeBounds = {};
  if (since !== undefined) bounds.sinceMs = instant('since', since, zone, 'start');
  if (until !== undefined) bounds.untilMs = instant('until', until, zone, 'end');
  if (bounds.sinceMs !== undefined && bounds.untilMs !== undefined && bounds.sinceMs > bounds.untilMs) {
    throw invalid('since must not be after until');
  }
  return bounds;
}
