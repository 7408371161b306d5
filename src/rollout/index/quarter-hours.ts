import type { UsageAggregation } from './metadata-index.js';

/** A quarter hour, the usage rollup's unit of time (its rows are per file, quarter hour and model; both backends). */
export const QUARTER_MS = 900_000;
/** The rollup's quarter hour of responses without a time (no real time is this far from 1970). */
export const NO_TIME = -2147483648;

/**
 * True when whole quarter hours answer `q` exactly: every offset of the zone and every change
 * between them falls on a quarter hour, and so do the time bounds (`until` is inclusive).
 */
export function quarterHoursSuffice(q: UsageAggregation): boolean {
  const aligned = (ms: number) => ms % QUARTER_MS === 0;
  if (q.sinceMs !== undefined && !aligned(q.sinceMs)) return false;
  if (q.untilMs !== undefined && !aligned(q.untilMs + 1)) return false;
  return q.offsets.every((o, i) => aligned(o.offsetMs) && (i === q.offsets.length - 1 || aligned(o.endMs)));
}
