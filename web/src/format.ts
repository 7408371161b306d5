// Numbers and times as a reader wants them: short, in the browser's locale and time zone.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "now", "5m", "3h", "2d", then the date: "Mar 5" in the current year, "Mar 5, 2024" before it
 * (short enough for the list's column either way). `now` is a parameter so that a list renders
 * consistently.
 */
export function age(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const ms = Math.max(0, now - then);
  if (ms < MINUTE) return 'now';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h`;
  if (ms < 30 * DAY) return `${Math.floor(ms / DAY)}d`;
  const date = new Date(then);
  const thisYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, { ...(thisYear ? {} : { year: 'numeric' }), month: 'short', day: 'numeric' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

// One formatter for every entry's time: toLocaleTimeString with options builds a new one per call,
// which was a third of the script time of a long transcript's window growing by 60 entries.
let timeFormat: Intl.DateTimeFormat | undefined;

export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  timeFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return timeFormat.format(t);
}

export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** 950, 12.3k, 4.5M. */
export function compact(n: number): string {
  if (Math.abs(n) < 1000) return String(n);
  return new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** "1 match", "3 matches". */
export function plural(n: number, one: string, many: string): string {
  return `${integer(n)} ${n === 1 ? one : many}`;
}

export function integer(n: number): string {
  return new Intl.NumberFormat().format(n);
}

/** Dollars: cents above $1, more digits below so that small sessions do not all read $0.00. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n < 0.01) return `$${n.toFixed(4)}`;
  if (n < 1) return `$${n.toFixed(3)}`;
  return `$${n.toFixed(2)}`;
}

/** Dollars on a chart axis: round values, no trailing zeros ($0.25, $1, $1.5). */
export function usdAxis(n: number): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 0, maximumFractionDigits: 3 });
  return format.format(n);
}

/** The last part of a project path, which is how people name their projects. */
export function projectName(cwd: string | null | undefined): string {
  if (!cwd) return '';
  const parts = cwd.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? cwd;
}

export function sourceLabel(source: string | null | undefined): string {
  return source ?? 'unknown';
}
