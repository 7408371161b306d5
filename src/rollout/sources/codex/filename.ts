export { UUID } from '../common/fields.js';

/**
 * Rollout file names: `rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl`. The time is the writer's
 * local wall-clock time at second precision; the uuid is the session id.
 */
const ROLLOUT_NAME =
  /^rollout-(?<stamp>(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2})-(?<minute>\d{2})-(?<second>\d{2}))-(?<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.jsonl$/;

const STAMP = /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2})-(?<minute>\d{2})-(?<second>\d{2})$/;

export interface RolloutName {
  /** `YYYY-MM-DDThh-mm-ss`, exactly as in the file name. */
  stamp: string;
  /** Session id, lower-cased. */
  id: string;
  /** `<stamp>|<id>`: sorts like (time, uuid), so string comparison orders files. */
  key: string;
}

interface StampParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

function isRealDateTime(p: StampParts): boolean {
  const [y, mo, d, h, mi, s] = [p.year, p.month, p.day, p.hour, p.minute, p.second].map(Number) as [
    number, number, number, number, number, number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  // Date.UTC rolls 2025-02-30 over into March; a real date survives the round trip.
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d;
}

export function parseRolloutName(name: string): RolloutName | null {
  const m = ROLLOUT_NAME.exec(name);
  if (!m?.groups || !isRealDateTime(m.groups as unknown as StampParts)) return null;
  const stamp = m.groups.stamp as string;
  const id = (m.groups.id as string).toLowerCase();
  return { stamp, id, key: `${stamp}|${id}` };
}

/** True when `stamp` is a well-formed, real `YYYY-MM-DDThh-mm-ss`. */
export function isValidStamp(stamp: string): boolean {
  const m = STAMP.exec(stamp);
  return m?.groups !== undefined && isRealDateTime(m.groups as unknown as StampParts);
}

/** The file-name time read as UTC (used when a file has no usable meta timestamp). */
export function stampToUtcIso(stamp: string): string {
  const [date, time] = stamp.split('T') as [string, string];
  return `${date}T${time.replaceAll('-', ':')}.000Z`;
}

/** `YYYY-MM-DD` of a stamp: the day directory a file of this name belongs in. */
export function stampDate(stamp: string): string {
  return stamp.slice(0, stamp.indexOf('T'));
}
