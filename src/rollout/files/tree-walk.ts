import { readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseRolloutName, stampDate } from './filename.js';
import { entryInfo, isAbsentError, isWithin, type EntryKind } from './fs-safety.js';
import { scanFailed } from '../errors.js';
import type { Degradations } from '../degraded.js';
import type { ArchivedFilter, RolloutFile, SortOrder } from '../types.js';

export const SESSIONS_DIR = 'sessions';
export const ARCHIVED_DIR = 'archived_sessions';

export interface WalkRoots {
  codexHome: string;
  /** `realpath(codexHome)`: symbolic links must resolve inside it. */
  realHome: string;
}

/** Inclusive `YYYY-MM-DD` bounds on the directories (and archived file names) a walk visits. */
export interface DateBounds {
  min?: string | undefined;
  max?: string | undefined;
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
class DirListings {
  private readonly listings = new Map<string, { ctimeMs: number; files: RolloutFile[] }>();
  static readonly MAX = 64;
  static readonly SETTLED_MS = 1000;

  async get(dir: string, list: () => Promise<RolloutFile[] | null>): Promise<RolloutFile[]> {
    const ctimeMs = (await stat(dir).catch(() => null))?.ctimeMs;
    const hit = this.listings.get(dir);
    this.listings.delete(dir);
    if (hit !== undefined && hit.ctimeMs === ctimeMs) {
      this.listings.set(dir, hit);
      return hit.files;
    }
    const files = await list();
    if (files === null) return [];
    if (ctimeMs !== undefined && Date.now() - ctimeMs > DirListings.SETTLED_MS) {
      this.listings.set(dir, { ctimeMs, files });
      if (this.listings.size > DirListings.MAX) this.listings.delete(this.listings.keys().next().value as string);
    }
    return files;
  }
}

/**
 * The rollout files of one Codex home, found by walking `sessions/YYYY/MM/DD/` and
 * `archived_sessions/`. The one place that decides which names take part: numeric directories
 * of the right width, rollout file names, and only entries whose real path stays inside the
 * home. Paths are given relative to the home (`sessions/2025/01/02`), with `/` separators.
 */
export class TreeWalker {
  readonly codexHome: string;
  private realHome: string | undefined;
  private readonly listings = new DirListings();
  private readonly realRoots = new Map<string, string>();

  /** `degraded` hears of directories that cannot be read: they are skipped, not errors. */
  constructor(
    codexHome: string,
    private readonly degraded?: Degradations,
  ) {
    this.codexHome = codexHome;
  }

  /**
   * The entries of a directory of the tree. One that cannot be read (permissions, I/O) is
   * skipped and reported as degraded, so that one bad directory does not fail every request.
   */
  private async readEntries(relDir: string): Promise<Dirent[] | null> {
    const key = `dir:${relDir}`;
    try {
      const entries = await readdir(this.absPath(relDir), { withFileTypes: true });
      this.degraded?.clear(key);
      return entries;
    } catch (err) {
      if (isAbsentError(err)) return [];
      if (this.degraded === undefined) throw scanFailed(`cannot read directory ${relDir}`, err);
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.degraded.note(key, `cannot read ${relDir} (${code}): its sessions are skipped`, err);
      return null;
    }
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
    for (const entry of (await this.readEntries(relDir)) ?? []) {
      if (!pattern.test(entry.name)) continue;
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
    const entries = await this.readEntries(relDir);
    if (entries === null) return null;
    for (const entry of entries) {
      if (suffix !== undefined && !entry.name.toLowerCase().endsWith(suffix)) continue;
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
