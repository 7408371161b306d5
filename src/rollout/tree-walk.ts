import { readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { parseRolloutName, stampDate } from './filename.js';
import { entryKind, isAbsentError } from './fs-safety.js';
import { scanFailed } from './errors.js';
import type { RolloutFile, SortOrder } from './types.js';

export const SESSIONS_DIR = 'sessions';
export const ARCHIVED_DIR = 'archived_sessions';

export interface WalkRoots {
  codexHome: string;
  /** `realpath(codexHome)`: symbolic links must resolve inside it. */
  realHome: string;
}

async function readEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isAbsentError(err)) return [];
    throw scanFailed(`cannot read directory ${dir}`, err);
  }
}

/**
 * The numeric sub-directories of `dir` (years, months or days: `digits` wide), in `order`.
 * The one place that decides which directory names take part in the walk.
 */
export async function numericDirs(roots: WalkRoots, dir: string, digits: number, order: SortOrder): Promise<string[]> {
  const pattern = new RegExp(`^\\d{${digits}}$`);
  const names: string[] = [];
  for (const entry of await readEntries(dir)) {
    if (!pattern.test(entry.name)) continue;
    if ((await entryKind(entry, join(dir, entry.name), roots.realHome)) === 'directory') names.push(entry.name);
  }
  names.sort();
  return order === 'desc' ? names.reverse() : names;
}

/**
 * The rollout files directly inside `dir`, ordered by key in `order`; with `id`, only that
 * session's files (matched on the name's end before anything is parsed, for fast lookups).
 */
export async function rolloutFilesIn(
  roots: WalkRoots,
  dir: string,
  relDir: string,
  archived: boolean,
  order: SortOrder,
  id?: string,
): Promise<RolloutFile[]> {
  if (id === undefined) {
    const files = await cachedListing(roots, dir, relDir, archived);
    return order === 'desc' ? [...files].reverse() : [...files];
  }
  return listRolloutFiles(roots, dir, relDir, archived, order, id);
}

/**
 * Sorted listings of recently walked directories, valid while the directory's mtime is
 * unchanged. A listing is only cached once its mtime is a second old: file-system clocks
 * tick coarsely, and an entry added in the same tick would not change the mtime.
 */
const listings = new Map<string, { mtimeMs: number; files: RolloutFile[] }>();
const MAX_CACHED_LISTINGS = 64;
const SETTLED_MS = 1000;

async function cachedListing(roots: WalkRoots, dir: string, relDir: string, archived: boolean): Promise<RolloutFile[]> {
  const mtimeMs = (await stat(dir).catch(() => null))?.mtimeMs;
  const cacheKey = `${roots.realHome}\0${dir}`;
  const hit = listings.get(cacheKey);
  if (hit !== undefined && hit.mtimeMs === mtimeMs) {
    listings.delete(cacheKey);
    listings.set(cacheKey, hit);
    return hit.files;
  }
  const files = await listRolloutFiles(roots, dir, relDir, archived, 'asc');
  listings.delete(cacheKey);
  if (mtimeMs !== undefined && Date.now() - mtimeMs > SETTLED_MS) {
    listings.set(cacheKey, { mtimeMs, files });
    if (listings.size > MAX_CACHED_LISTINGS) listings.delete(listings.keys().next().value as string);
  }
  return files;
}

async function listRolloutFiles(
  roots: WalkRoots,
  dir: string,
  relDir: string,
  archived: boolean,
  order: SortOrder,
  id?: string,
): Promise<RolloutFile[]> {
  const files: RolloutFile[] = [];
  const suffix = id === undefined ? undefined : `-${id}.jsonl`;
  for (const entry of await readEntries(dir)) {
    if (suffix !== undefined && !entry.name.toLowerCase().endsWith(suffix)) continue;
    const parsed = parseRolloutName(entry.name);
    if (!parsed) continue;
    const absPath = join(dir, entry.name);
    if ((await entryKind(entry, absPath, roots.realHome)) !== 'file') continue;
    files.push({ ...parsed, absPath, relPath: `${relDir}/${entry.name}`, archived });
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return order === 'desc' ? files.reverse() : files;
}

/**
 * True when a whole directory for `prefix` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) lies before the
 * cursor's date in walk order, so none of its files can follow the cursor.
 */
function passedOver(prefix: string, anchorDate: string | undefined, order: SortOrder): boolean {
  if (anchorDate === undefined) return false;
  const anchor = anchorDate.slice(0, prefix.length);
  return order === 'desc' ? prefix > anchor : prefix < anchor;
}

/** Inclusive `YYYY-MM-DD` bounds on the directories (and archived file names) a walk visits. */
export interface DateBounds {
  min?: string | undefined;
  max?: string | undefined;
}

/** True when the directory for `prefix` holds no date inside `bounds`. */
function outside(prefix: string, bounds: DateBounds): boolean {
  return (
    (bounds.min !== undefined && prefix < bounds.min.slice(0, prefix.length)) ||
    (bounds.max !== undefined && prefix > bounds.max.slice(0, prefix.length))
  );
}

/**
 * Every rollout file under `sessions/YYYY/MM/DD/`, in key order. Directories that lie wholly
 * before `afterKey`, or outside `bounds`, are not even listed, so the cost of a page does not
 * grow with the tree; files of the cursor's own day are yielded (the caller skips and counts them).
 */
export async function* walkActive(
  roots: WalkRoots,
  order: SortOrder,
  afterKey?: string,
  bounds: DateBounds = {},
): AsyncGenerator<RolloutFile> {
  const anchorDate = afterKey === undefined ? undefined : stampDate(afterKey);
  const skip = (prefix: string) => passedOver(prefix, anchorDate, order) || outside(prefix, bounds);
  const base = join(roots.codexHome, SESSIONS_DIR);
  for (const year of await numericDirs(roots, base, 4, order)) {
    if (skip(year)) continue;
    const yearDir = join(base, year);
    for (const month of await numericDirs(roots, yearDir, 2, order)) {
      if (skip(`${year}-${month}`)) continue;
      const monthDir = join(yearDir, month);
      for (const day of await numericDirs(roots, monthDir, 2, order)) {
        if (skip(`${year}-${month}-${day}`)) continue;
        const rel = `${SESSIONS_DIR}/${year}/${month}/${day}`;
        yield* await rolloutFilesIn(roots, join(monthDir, day), rel, false, order);
      }
    }
  }
}

/** Every rollout file in the flat `archived_sessions/` directory, in key order. */
export async function* walkArchived(roots: WalkRoots, order: SortOrder, bounds: DateBounds = {}): AsyncGenerator<RolloutFile> {
  const files = await rolloutFilesIn(roots, join(roots.codexHome, ARCHIVED_DIR), ARCHIVED_DIR, true, order);
  yield* files.filter((f) => !outside(stampDate(f.stamp), bounds));
}

/**
 * Merges two key-ordered walks into one. A key present in both (the same file name active and
 * archived) is yielded once, from `first`, so that keys stay unique for the cursor.
 */
export async function* mergeWalks(
  first: AsyncGenerator<RolloutFile>,
  second: AsyncGenerator<RolloutFile>,
  order: SortOrder,
): AsyncGenerator<RolloutFile> {
  const before = (a: string, b: string) => (order === 'desc' ? a > b : a < b);
  let a = await first.next();
  let b = await second.next();
  while (!a.done || !b.done) {
    if (b.done || (!a.done && (before(a.value.key, b.value.key) || a.value.key === b.value.key))) {
      const value = (a as IteratorYieldResult<RolloutFile>).value;
      if (!b.done && b.value.key === value.key) b = await second.next();
      yield value;
      a = await first.next();
    } else {
      yield b.value;
      b = await second.next();
    }
  }
}

/**
 * The rollout file a path relative to the Codex home names, when it sits where Codex puts
 * rollouts (`sessions/YYYY/MM/DD/` or directly in `archived_sessions/`); otherwise null.
 */
export function rolloutFileAt(roots: WalkRoots, relPath: string): RolloutFile | null {
  const slash = relPath.lastIndexOf('/');
  const dir = relPath.slice(0, slash);
  const parsed = parseRolloutName(relPath.slice(slash + 1));
  if (parsed === null || slash === -1) return null;
  const archived = dir === ARCHIVED_DIR;
  if (!archived && !(isTreeDir(dir) && dir.split('/').length === 4)) return null;
  return { ...parsed, absPath: join(roots.codexHome, ...relPath.split('/')), relPath, archived };
}

/** Digits of the year, month and day directory names under `sessions/`. */
const DIR_DIGITS = [4, 2, 2];

/** `sessions`, `sessions/YYYY`, `sessions/YYYY/MM`, `sessions/YYYY/MM/DD` or `archived_sessions`. */
export function isTreeDir(rel: string): boolean {
  const [root, ...rest] = rel.split('/');
  if (root === ARCHIVED_DIR) return rest.length === 0;
  return (
    root === SESSIONS_DIR &&
    rest.length <= DIR_DIGITS.length &&
    rest.every((part, i) => part.length === DIR_DIGITS[i] && /^\d+$/.test(part))
  );
}
