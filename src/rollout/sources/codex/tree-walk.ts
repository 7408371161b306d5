import { opendir, readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseRolloutName, stampDate } from './filename.js';
import { entryInfo, isAbsentError, isWithin, type EntryKind } from '../../files/fs-safety.js';
import { isExhausted, scanFailed } from '../../errors.js';
import { WeightedLru } from '../../lru.js';
import type { Degradations } from '../../degraded.js';
import type { ArchivedFilter, RolloutFile, SortOrder } from '../../types.js';
import type { DateBounds, SessionWalker } from '../source.js';
import { MAX_DIR_FILES } from '../common/fields.js';

export { MAX_DIR_FILES } from '../common/fields.js';

export const SESSIONS_DIR = 'sessions';
export const ARCHIVED_DIR = 'archived_sessions';

export interface WalkRoots {
  codexHome: string;
  /** `realpath(codexHome)`: symbolic links must resolve inside it. */
  realHome: string;
}

export type { DateBounds } from '../source.js';

/**
 * Directories whose st_size is larger than this are streamed rather than read at once. st_size
 * is only a hint of the entry count (about 3,000 entries on ext4, 1,700 on btrfs, 13,000 on tmpfs,
 * 262,144 on ZFS, which counts entries): low enough that a directory read at once stays small
 * everywhere, high enough that real day directories take the faster single read.
 */
const STREAM_DIRS_OVER_BYTES = 256 * 1024;

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

/** A directory that holds rollout files: a day directory or `archived_sessions`. */
function isRolloutDir(rel: string): boolean {
  return rel === ARCHIVED_DIR || (isTreeDir(rel) && rel.split('/').length === 4);
}


const byKey = (a: RolloutFile, b: RolloutFile) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * True when a whole directory for `prefix` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) lies before the
 * cursor's date in walk order, so none of its files can follow the cursor.
 */
function passedOver(prefix: string, anchorDate: string | undefined, order: SortOrder): boolean {
  if (anchorDate === undefined) return false;
  const anchor = anchorDate.slice(0, prefix.length);
  return order === 'desc' ? prefix > anchor : prefix < anchor;
}

/** True when the directory for `prefix` holds no date inside `bounds`. */
function outside(prefix: string, bounds: DateBounds): boolean {
  return (
    (bounds.min !== undefined && prefix < bounds.min.slice(0, prefix.length)) ||
    (bounds.max !== undefined && prefix > bounds.max.slice(0, prefix.length))
  );
}

/**
 * Sorted listings of recently walked directories, valid while the directory's ctime is
 * unchanged (an entry added, removed or renamed, or a chmod). A listing is only cached once its
 * ctime is a second old: file-system clocks tick coarsely, and an entry added in the same tick
 * would not change it. A directory that could not be read is never cached.
 */
export class DirListings {
  private readonly listings: WeightedLru<string, { ctimeMs: number; files: RolloutFile[] }>;
  /** Listings under way, by directory, with the ctime they were started at. */
  private readonly reading = new Map<string, { ctimeMs: number | undefined; files: Promise<RolloutFile[] | null> }>();

  /**
   * `maxFiles` bounds the files all cached listings hold together: a few huge directories must
   * not pin hundreds of MB (100,000 files are about 40 MB of heap). `settledMs` is how old a
   * ctime must be before its listing is cached.
   */
  constructor(private readonly bounds = { maxListings: 64, maxFiles: 200_000, settledMs: 1000 }) {
    // One huge directory may take the whole bound: the walk lists it again on every page otherwise.
    this.listings = new WeightedLru({ maxWeight: bounds.maxFiles, maxEntries: bounds.maxListings, largestShare: 1 });
  }

  /** Files the cached listings hold (for tests). */
  get cachedFiles(): number {
    return this.listings.weight;
  }

  async get(dir: string, list: () => Promise<RolloutFile[] | null>): Promise<RolloutFile[]> {
    const ctimeMs = (await stat(dir).catch(() => null))?.ctimeMs;
    const hit = this.listings.get(dir);
    if (hit !== undefined) {
      if (hit.ctimeMs === ctimeMs) return hit.files;
      this.listings.delete(dir);
    }
    // Concurrent requests for one directory share one listing (a hostile directory of 100,000
    // files costs one read, not one per request), but only one started at the same ctime: a
    // listing started before a change must not be taken, or cached, as the changed directory's.
    // (A change in the same clock tick as the ctime may be missed, as by a request a moment
    // earlier; the listing is then not cached, because its ctime has not settled.)
    let pending = this.reading.get(dir);
    if (pending === undefined || pending.ctimeMs !== ctimeMs) {
      const started = { ctimeMs, files: list() };
      const forget = () => {
        if (this.reading.get(dir) === started) this.reading.delete(dir);
      };
      started.files.then(forget, forget);
      this.reading.set(dir, started);
      pending = started;
    }
    const files = await pending.files;
    if (files === null) return [];
    if (ctimeMs === undefined || Date.now() - ctimeMs <= this.bounds.settledMs) return files;
    // Of listings read at once, the one of the latest ctime is kept.
    const cached = this.listings.peek(dir);
    if (cached === undefined || cached.ctimeMs < ctimeMs) this.listings.set(dir, { ctimeMs, files }, files.length);
    return files;
  }
}

/**
 * The rollout files of one Codex home, found by walking `sessions/YYYY/MM/DD/` and
 * `archived_sessions/`. The one place that decides which names take part: numeric directories
 * of the right width, rollout file names, and only entries whose real path stays inside the
 * home. Paths are given relative to the home (`sessions/2025/01/02`), with `/` separators.
 */
export class TreeWalker implements SessionWalker {
  readonly codexHome: string;
  private realHome: string | undefined;
  private readonly listings = new DirListings();
  private readonly realRoots = new Map<string, string>();

  /**
   * `degraded` hears of directories that cannot be read or hold too many files: they are
   * skipped, not errors. `bounds` overrides MAX_DIR_FILES and the size over which a directory
   * is streamed (for tests).
   */
  constructor(
    codexHome: string,
    private readonly degraded?: Degradations,
    private readonly bounds: { maxDirFiles: number; streamDirsOverBytes: number } = {
      maxDirFiles: MAX_DIR_FILES,
      streamDirsOverBytes: STREAM_DIRS_OVER_BYTES,
    },
  ) {
    this.codexHome = codexHome;
  }

  get home(): string {
    return this.codexHome;
  }

  /**
   * The entries of a directory of the tree that `wanted` accepts, at most `maxDirFiles` of them
   * (in directory order). A directory that cannot be read (permissions, I/O) is skipped and
   * reported as degraded, so that one bad directory does not fail every request. A listing of
   * every wanted entry (`complete`) that finds more than the bound reports that too (the rest are
   * skipped); a listing narrowed to one id can neither find nor clear that. A large directory (a
   * hostile home with a million files in one day) is streamed, so that memory holds only the
   * wanted entries, up to the bound.
   */
  private async readEntries(relDir: string, wanted: (name: string) => boolean, complete: boolean): Promise<Dirent[] | null> {
    const dir = this.absPath(relDir);
    const max = this.bounds.maxDirFiles;
    const entries: Dirent[] = [];
    let more = false;
    try {
      if ((await stat(dir)).size <= this.bounds.streamDirsOverBytes) {
        for (const entry of await readdir(dir, { withFileTypes: true })) if (wanted(entry.name)) entries.push(entry);
        more = entries.length > max;
        entries.length = Math.min(entries.length, max);
      } else {
        for await (const entry of await opendir(dir, { bufferSize: 1024 })) {
          if (!wanted(entry.name)) continue;
          if (entries.length === max) {
            more = true;
            break; // leaving the loop closes the directory
          }
          entries.push(entry);
        }
      }
    } catch (err) {
      if (isAbsentError(err)) return [];
      if (this.degraded === undefined || isExhausted(err)) throw scanFailed(`cannot read directory ${relDir}`, err);
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.degraded.note(`dir:${relDir}`, `cannot read ${relDir} (${code}): its sessions are skipped`, err);
      return null;
    }
    this.degraded?.clear(`dir:${relDir}`);
    if (more) this.degraded?.note(`many:${relDir}`, `${relDir} holds more than ${max} entries of the tree: the rest are skipped`);
    else if (complete) this.degraded?.clear(`many:${relDir}`);
    return entries;
  }

  /**
   * What an entry of `relDir` is, or null when the walk must pass it by: a link that leads out
   * of the home, dangles, loops or names something else than a file or directory, and an alias:
   * a link to a directory of the tree, or to a rollout file of the same name elsewhere in the
   * tree, which the walk reaches by its own path anyway (a symlinked day directory would otherwise
   * list its sessions twice, under the same keys). Each real directory is walked once.
   */
  private async kindOf(entry: Dirent, relDir: string, realHome: string): Promise<EntryKind | null> {
    const info = await entryInfo(entry, join(this.absPath(relDir), entry.name), realHome);
    if (info === null || info.linkTarget === undefined) return info?.kind ?? null;
    const own = await this.ownName(info.linkTarget);
    if (own === null) return info.kind;
    const alias = info.kind === 'directory' ? isTreeDir(own) : this.fileAt(own) !== null && own.endsWith(`/${entry.name}`);
    return alias ? null : info.kind;
  }

  /** The path a real location has in the tree (`sessions/...`, `archived_sessions/...`), or null outside both roots. */
  private async ownName(target: string): Promise<string | null> {
    for (const root of [SESSIONS_DIR, ARCHIVED_DIR]) {
      let real = this.realRoots.get(root);
      if (real === undefined) {
        real = await realpath(this.absPath(root)).catch(() => undefined);
        if (real === undefined) continue;
        this.realRoots.set(root, real);
      }
      if (isWithin(real, target)) return [root, ...relative(real, target).split(sep)].filter((p) => p !== '').join('/');
    }
    return null;
  }

  async roots(): Promise<WalkRoots> {
    if (this.realHome === undefined) {
      try {
        this.realHome = await realpath(this.codexHome);
      } catch (err) {
        // A Codex home that does not exist yet holds no sessions; resolve it again next time.
        if (isAbsentError(err)) return { codexHome: this.codexHome, realHome: this.codexHome };
        throw scanFailed('cannot resolve the Codex home', err);
      }
    }
    return { codexHome: this.codexHome, realHome: this.realHome };
  }

  absPath(relPath: string): string {
    return join(this.codexHome, ...relPath.split('/'));
  }

  /** The numeric sub-directories of `relDir` (years of `sessions`, months of a year, days of a month), in `order`. */
  async numericDirs(relDir: string, order: SortOrder): Promise<string[]> {
    const digits = DIR_DIGITS[relDir.split('/').length - 1];
    if (digits === undefined) return [];
    const { realHome } = await this.roots();
    const pattern = new RegExp(`^\\d{${digits}}$`);
    const names: string[] = [];
    for (const entry of (await this.readEntries(relDir, (name) => pattern.test(name), true)) ?? []) {
      if ((await this.kindOf(entry, relDir, realHome)) === 'directory') names.push(entry.name);
    }
    names.sort();
    return order === 'desc' ? names.reverse() : names;
  }

  /**
   * The rollout files directly inside `relDir` (a day directory or `archived_sessions`), ordered
   * by key; with `id`, only that session's files (matched on the name's end before anything is
   * parsed, for fast lookups, and not cached).
   */
  async filesIn(relDir: string, order: SortOrder, id?: string): Promise<RolloutFile[]> {
    if (!isRolloutDir(relDir)) return [];
    const files =
      id === undefined ? await this.listings.get(this.absPath(relDir), () => this.list(relDir)) : ((await this.list(relDir, id)) ?? []);
    return order === 'desc' ? [...files].reverse() : [...files];
  }

  /** The directory's rollout files in key order; null when it cannot be read. */
  private async list(relDir: string, id?: string): Promise<RolloutFile[] | null> {
    const { realHome } = await this.roots();
    const dir = this.absPath(relDir);
    const archived = relDir === ARCHIVED_DIR;
    const suffix = id === undefined ? undefined : `-${id}.jsonl`;
    const files: RolloutFile[] = [];
    // Named directly (a lookup's day, the newest day), a directory may be an alias of another one.
    const real = await realpath(dir).catch(() => null);
    const own = real === null ? null : await this.ownName(real);
    if (own !== null && own !== relDir) return [];
    // Only names that parse count towards the bound: junk names cannot crowd out real sessions.
    const wanted = (name: string) => (suffix === undefined || name.toLowerCase().endsWith(suffix)) && parseRolloutName(name) !== null;
    const entries = await this.readEntries(relDir, wanted, id === undefined);
    if (entries === null) return null;
    for (const entry of entries) {
      const parsed = parseRolloutName(entry.name);
      if (!parsed) continue;
      const absPath = join(dir, entry.name);
      if ((await this.kindOf(entry, relDir, realHome)) !== 'file') continue;
      files.push({ ...parsed, absPath, relPath: `${relDir}/${entry.name}`, archived });
    }
    return files.sort(byKey);
  }

  /**
   * Every rollout file under `sessions/YYYY/MM/DD/`, in key order. Directories that lie wholly
   * before `afterKey`, or outside `bounds`, are not even listed, so the cost of a page does not
   * grow with the tree; files of the cursor's own day are yielded (the caller skips and counts them).
   */
  async *active(order: SortOrder, afterKey?: string, bounds: DateBounds = {}): AsyncGenerator<RolloutFile> {
    const anchorDate = afterKey === undefined ? undefined : stampDate(afterKey);
    const skip = (prefix: string) => passedOver(prefix, anchorDate, order) || outside(prefix, bounds);
    for (const year of await this.numericDirs(SESSIONS_DIR, order)) {
      if (skip(year)) continue;
      for (const month of await this.numericDirs(`${SESSIONS_DIR}/${year}`, order)) {
        if (skip(`${year}-${month}`)) continue;
        for (const day of await this.numericDirs(`${SESSIONS_DIR}/${year}/${month}`, order)) {
          if (skip(`${year}-${month}-${day}`)) continue;
          yield* await this.filesIn(`${SESSIONS_DIR}/${year}/${month}/${day}`, order);
        }
      }
    }
  }

  /** Every rollout file in the flat `archived_sessions/` directory, in key order. */
  async *archived(order: SortOrder, bounds: DateBounds = {}): AsyncGenerator<RolloutFile> {
    const files = await this.filesIn(ARCHIVED_DIR, order);
    yield* files.filter((f) => !outside(stampDate(f.stamp), bounds));
  }

  /**
   * Every rollout file, active ones newest first, then the archived ones, for a full pass of the
   * index. The listings are not kept: a pass over 100,000 files would otherwise fill the listing
   * cache with all of them (tens of MB) for the pages that only ever need the newest days.
   */
  async *everyFile(): AsyncGenerator<RolloutFile> {
    for (const year of await this.numericDirs(SESSIONS_DIR, 'desc')) {
      for (const month of await this.numericDirs(`${SESSIONS_DIR}/${year}`, 'desc')) {
        for (const day of await this.numericDirs(`${SESSIONS_DIR}/${year}/${month}`, 'desc')) {
          yield* ((await this.list(`${SESSIONS_DIR}/${year}/${month}/${day}`)) ?? []).reverse();
        }
      }
    }
    yield* ((await this.list(ARCHIVED_DIR)) ?? []).reverse();
  }

  /** The files of the roots `archived` selects, in key order. */
  walk(archived: ArchivedFilter, order: SortOrder, afterKey?: string, bounds: DateBounds = {}): AsyncGenerator<RolloutFile> {
    if (archived === 'true') return this.archived(order, bounds);
    if (archived === 'false') return this.active(order, afterKey, bounds);
    return mergeWalks(this.active(order, afterKey, bounds), this.archived(order, bounds), order);
  }

  /**
   * The rollout file a path relative to the Codex home names, when it sits where Codex puts
   * rollouts (`sessions/YYYY/MM/DD/` or directly in `archived_sessions/`); otherwise null.
   */
  fileAt(relPath: string): RolloutFile | null {
    const slash = relPath.lastIndexOf('/');
    if (slash === -1) return null;
    const dir = relPath.slice(0, slash);
    const parsed = parseRolloutName(relPath.slice(slash + 1));
    if (parsed === null || !isRolloutDir(dir)) return null;
    return { ...parsed, absPath: this.absPath(relPath), relPath, archived: dir === ARCHIVED_DIR };
  }
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
