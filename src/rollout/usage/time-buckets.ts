import { DateTime, IANAZone } from 'luxon';
export { canonicalTime } from '../sources/canonical-time.js';
export const TIME_GROUPS = ['day', 'week', 'month'] as const;
export type TimeGroup = (typeof TIME_GROUPS)[number];

export const DAY_MS = 86_400_000;

export const BUCKET_FORMAT: Record<TimeGroup, string> = {
  day: 'yyyy-MM-dd',
  // ISO weeks (Monday first) in their week-numbering year: 2025-12-29 is in 2026-W01.
  week: "kkkk-'W'WW",
  month: 'yyyy-MM',
};

/** A stretch of time during which a zone keeps one UTC offset: [startMs, endMs). */
export interface OffsetInterval {
  startMs: number;
  endMs: number;
  offsetMs: number;
}

const offsetAt = (zone: IANAZone, ms: number) => zone.offset(ms) * 60_000;

/** Zones whose offset never changes (luxon's isUniversal is false for IANA names). */
const FIXED_ZONE = /^(?:UTC|GMT|Etc\/(?:UTC|UCT|GMT(?:[+-]\d{1,2})?|Zulu|Universal))$/i;

/** Offset changes are looked for this far apart: zones change at most twice a year, months apart. */
const PROBE_MS = 7 * DAY_MS;

/**
 * The UTC offsets `tz` has between `fromMs` and `toMs`, as intervals: a zone changes its offset
 * a few times a year at most, so a response's local date is (its time + the offset of its
 * interval). Changes are found a week at a time, then to the millisecond.
 */
export function offsetIntervals(tz: string, fromMs: number, toMs: number): OffsetInterval[] {
  const zone = IANAZone.create(tz);
  if (FIXED_ZONE.test(tz)) return [{ startMs: fromMs, endMs: toMs + 1, offsetMs: offsetAt(zone, fromMs) }];
  const intervals: OffsetInterval[] = [];
  let start = fromMs;
  let offset = offsetAt(zone, fromMs);
  for (let probe = fromMs + PROBE_MS; ; probe += PROBE_MS) {
    const at = Math.min(probe, toMs);
    if (offsetAt(zone, at) !== offset) {
      let [lo, hi] = [Math.max(start, at - PROBE_MS), at]; // the offset changes in (lo, hi]
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(zone, mid) === offset) lo = mid;
        else hi = mid;
      }
      intervals.push({ startMs: start, endMs: hi, offsetMs: offset });
      [start, offset] = [hi, offsetAt(zone, hi)];
      probe = hi;
      continue;
    }
    if (at >= toMs) break;
  }
  intervals.push({ startMs: start, endMs: toMs + 1, offsetMs: offset });
  return intervals;
}

/** The local date's day number (days since 1970-01-01) of a time, given its interval's offset. */
export const localDay = (ms: number, offsetMs: number): number => Math.floor((ms + offsetMs) / DAY_MS);

/**
 * The day number that stands for a time group's bucket: the day itself, the Monday of its ISO
 * week, or the first of its month. 1970-01-01 was a Thursday.
 */
export function bucketDay(day: number, group: TimeGroup): number {
  if (group === 'day') return day;
  if (group === 'week') return day - ((((day + 3) % 7) + 7) % 7);
  const d = DateTime.fromMillis(day * DAY_MS, { zone: 'utc' });
  return Math.floor(d.startOf('month').toMillis() / DAY_MS);
}

/** The key of a bucket as the API shows it: `2026-11-24`, `2026-W48`, `2026-11`. */
export function bucketLabel(day: number, group: TimeGroup): string {
  const ms = day * DAY_MS;
  // Days and months of years 1970-9999 from the ISO string: luxon's formatting was a third of a /usage by day.
  if (group !== 'week' && ms >= 0 && ms < YEAR_10000_MS) return new Date(ms).toISOString().slice(0, group === 'day' ? 10 : 7);
  return DateTime.fromMillis(ms, { zone: 'utc' }).toFormat(BUCKET_FORMAT[group]);
}

const YEAR_10000_MS = Date.UTC(10000, 0, 1);
