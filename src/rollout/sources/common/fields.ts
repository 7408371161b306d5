import { DateTime } from 'luxon';
import { wholeMtimeMs } from '../../files/file-stamp.js';

// Bounds and field forms every source's summaries and discovery share.

/** A UUID of any version, any case: what session ids look like in names, cursors and URLs. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Rollout files one directory may list: far above any real day (Codex writes hundreds at most)
 * or archive, and it bounds what a hostile directory of millions of files costs.
 */
export const MAX_DIR_FILES = 100_000;

/** ISO 8601 in UTC with milliseconds, or null when `value` is not a timestamp. */
export function toUtcIso(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  return parsed.isValid ? parsed.toUTC().toISO() : null;
}

export function mtimeIso(mtimeMs: number): string {
  return new Date(wholeMtimeMs(mtimeMs)).toISOString();
}

/**
 * Longest string a summary carries, in UTF-16 code units: a title, a cwd, a branch. Longer ones
 * are cut (at a code point boundary). A hostile or pasted-in first message of megabytes would
 * otherwise sit in every list page, the listing cache and the index; real titles and paths are
 * far shorter (PATH_MAX is 4096).
 */
export const MAX_SUMMARY_STRING = 16 * 1024;
