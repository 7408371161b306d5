import { DateTime } from 'luxon';

/** Response times outside these years are no times at all (a hostile or broken line): bounds the zone work of a report. */
export const FIRST_YEAR = 1970;
export const LAST_YEAR = 2100;

/** The form Codex writes (`2025-10-01T08:00:01.000Z`): read by Date.parse and luxon alike. */
const CANONICAL = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/**
 * A record's `timestamp` in the one form every reader of a response time parses alike (ISO 8601
 * in UTC, milliseconds), or null when it is not ISO 8601 or lies outside FIRST_YEAR..LAST_YEAR.
 * Date.parse alone would take `Wed, 25 Nov 2026 01:00:00 GMT` (and, without an offset, the
 * server's zone), luxon would not: the index and a scan would then bucket differently.
 */
export function canonicalTime(value: string): string | null {
  const m = CANONICAL.exec(value);
  if (m !== null) {
    const year = Number(m[1]);
    return year >= FIRST_YEAR && year <= LAST_YEAR && !Number.isNaN(Date.parse(value)) ? value : null;
  }
  const t = DateTime.fromISO(value, { zone: 'utc' });
  if (!t.isValid || t.year < FIRST_YEAR || t.year > LAST_YEAR) return null;
  return new Date(t.toMillis()).toISOString();
}
