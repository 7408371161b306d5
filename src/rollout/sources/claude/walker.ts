import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_BUDGET_WAIT_MS, MemoryBudget } from '../../reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../reading/session-reader.js';
import { FILES_AT_ONCE } from '../../tuning.js';
import type { ArchivedFilter, RolloutFile, RolloutLogger, SortOrder } from '../../types.js';
import type { SessionWalker } from '../source.js';
import { isAbsentError } from '../../files/fs-safety.js';
import { scanFailed } from '../../errors.js';
import {
  claudeFilesIn,
  claudeSessionFilesOf,
  claudeTreeDirsIn,
  claudeWalksInto,
  classifyClaudePath,
  discoverClaudeFiles,
  type ClaudeFile,
} from './discovery.js';
import { findClaudeHome } from './home.js';
import { readClaudeSessionFile } from './reader.js';
import { claudeRolloutFile } from './session-head.js';
import { newestFirst } from './newest-first.js';
import { KnownFiles, type Vouched } from './known-files.js';
import { filesOf, type Listing, type StattedFile } from './packed-listing.js';

const silent: RolloutLogger = { debug: () => undefined, warn: () => undefined };

/** The ClaudeFile a RolloutFile names (null: its path is not a Claude transcript's). */
export function claudeFileOf(file: RolloutFile): ClaudeFile | null {
  const kind = classifyClaudePath(file.relPath);
  return kind?.kind === 'session' ? { ...kind.file, absPath: file.absPath } : null;
}

/**
 * A Claude file as the layers above take it, before its head is read: its key's stamp is the
 * first of all stamps, a placeholder, because only the first timestamp in the file orders it
 * (`orderingKey` says null). A head read gives the real key (`claudeRolloutFile`).
 */
export const unread = (file: ClaudeFile): RolloutFile => claudeRolloutFile(file, '0000-01-01T00:00:00.000Z');

/** A key found by a head read, valid while the file stats the same. */
interface KnownKey {
  ino: number;
  size: number;
  mtimeMs: number;
  key: RolloutFile;
}

/** Memory a walk's own head reads may hold when the walker was given no budget (tools and tests). */
const OWN_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * Discovery of a Claude home (`projects/`): every transcript in path order, a session's
 * sub-agents right after it. The tree has no dates, so `numericDirs` is empty, date bounds do not
 * apply, and there is no archive. `walk` gives files in key order, so it reads each file's head
 * for its first timestamp (bounded: the head read stops early), remembered while the file stats
 * the same: a scan costs one head read per file the first time, one stat per file after.
 */
export class ClaudeWalker implements SessionWalker {
  private readonly keys = new Map<string, KnownKey>();
  private readonly known: KnownFiles;
  private ownEnv: ReadEnv | null = null;
  private realHome: string | undefined;

  constructor(
    readonly home: string,
    private readonly log: RolloutLogger = silent,
    private readonly env?: () => Promise<ReadEnv>,
  ) {
    this.known = new KnownFiles(home, log);
  }

  /** Files whose key a head read has found and the walker remembers (for tests). */
  get keysKnown(): number {
    return this.keys.size;
  }

  async roots(): Promise<{ realHome: string }> {
    // Every read asks (twice a file in an index build): the real path is resolved once, as the Codex walker does.
    if (this.realHome !== undefined) return { realHome: this.realHome };
    try {
      this.realHome = await realpath(this.home);
      return { realHome: this.realHome };
    } catch (err) {
      // A home that is not there (yet) holds no sessions, and is no error: the source is "not served".
      if (isAbsentError(err)) return { realHome: this.home };
      throw scanFailed('cannot resolve the Claude home', err);
    }
  }

  absPath(relPath: string): string {
    return join(this.home, relPath);
  }

  /**
   * The directories of the tree directly under `relDir` (projects, a project's session
   * directories, a session's `subagents/`): what the watcher descends into. The ones discovery
   * walks into (claudeTreeDirsIn: a link inside the home that is no alias), at most MAX_DIR_FILES.
   */
  async numericDirs(relDir: string, order: SortOrder): Promise<string[]> {
    const home = await findClaudeHome(this.home);
    const out = home === null ? [] : await claudeTreeDirsIn(home, relDir, this.log);
    return order === 'asc' ? out : out.reverse();
  }

  /**
   * One listing of `relDir`, a directory the walk goes into (the watch adopts no other): a walk
   * of the home per new directory made N new projects cost N walks (claude30).
   */
  async filesIn(relDir: string, order: SortOrder, id?: string): Promise<RolloutFile[]> {
    const home = await findClaudeHome(this.home);
    const files = home === null ? [] : await claudeFilesIn(home, relDir, this.log);
    const out = files.filter((f) => id === undefined || f.id === id.toLowerCase()).map(unread);
    return order === 'asc' ? out : out.reverse();
  }

  async walksInto(relDir: string): Promise<boolean> {
    const home = await findClaudeHome(this.home);
    return home !== null && (await claudeWalksInto(home, relDir));
  }

  fileAt(relPath: string): RolloutFile | null {
    const kind = classifyClaudePath(relPath);
    return kind?.kind === 'session' ? unread({ ...kind.file, absPath: this.absPath(relPath) }) : null;
  }

  /** The main-session files of `id` (lower case): one stat per project (claudeSessionFilesOf), not a walk. */
  async sessionFilesOf(id: string): Promise<RolloutFile[]> {
    const home = await findClaudeHome(this.home);
    return home === null ? [] : (await claudeSessionFilesOf(home, id, this.log)).map(unread);
  }

  async *everyFile(): AsyncGenerator<RolloutFile> {
    const home = await findClaudeHome(this.home);
    if (home === null) return;
    for await (const file of discoverClaudeFiles(home, this.log)) yield unread(file);
  }

  /**
   * Files in key order. Newest first, heads are read only as far as the order needs
   * (newestFirst: by mtime, each file's key bounded by its mtime), so that a first page without
   * a complete index reads about a page of heads, not the tree's; oldest first has no such
   * bound, and reads every head (once per file while it stats the same).
   */
  walk(archived: ArchivedFilter, order: SortOrder, afterKey?: string): AsyncGenerator<RolloutFile> {
    return this.walkOver(undefined, archived, order, afterKey);
  }

  private async *walkOver(vouched: Vouched | undefined, archived: ArchivedFilter, order: SortOrder, afterKey?: string) {
    if (archived === 'true') return; // Claude Code has no archive
    const statted = await this.stattedFiles(vouched);
    if (order === 'desc') {
      for await (const file of newestFirst(statted, (f) => this.keyed(f), FILES_AT_ONCE)) {
        if (afterKey === undefined || file.key < afterKey) yield file;
      }
      return;
    }
    const files: RolloutFile[] = [];
    for (let i = 0; i < statted.length; i += FILES_AT_ONCE) {
      for (const file of await Promise.all(filesOf(statted, i, i + FILES_AT_ONCE).map((f) => this.keyed(f)))) if (file) files.push(file);
    }
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const file of files) if (afterKey === undefined || file.key > afterKey) yield file;
  }

  /** Every transcript with its stat, newest write first (KnownFiles); keys of files no longer there are forgotten. */
  private async stattedFiles(vouched?: Vouched): Promise<Listing> {
    const files = await this.known.list((gone) => this.keys.delete(gone), vouched);
    if (this.keys.size > files.length) {
      const seen = new Set(filesOf(files, 0, files.length).map((f) => f.relPath));
      for (const rel of this.keys.keys()) if (!seen.has(rel)) this.keys.delete(rel);
    }
    return files;
  }

  /** The walker one page walks once the tree is listed (KnownFiles.listedWithin): its walks take the listing vouched for. */
  async listedWithin(cap: number): Promise<SessionWalker | null> {
    const vouched = await this.known.listedWithin(cap);
    if (vouched === null || vouched.sorted === null) return vouched === null ? null : this;
    return {
      home: this.home,
      roots: () => this.roots(),
      absPath: (relPath) => this.absPath(relPath),
      numericDirs: (relDir, order) => this.numericDirs(relDir, order),
      filesIn: (relDir, order, id) => this.filesIn(relDir, order, id),
      walksInto: (relDir) => this.walksInto(relDir),
      fileAt: (relPath) => this.fileAt(relPath),
      everyFile: () => this.everyFile(),
      walk: (archived, order, afterKey) => this.walkOver(vouched, archived, order, afterKey),
    };
  }

  /** Listings of the tree started (for tests). */
  get listings(): number {
    return this.known.listingsStarted;
  }

  /** Whether a listing is held for the pages asking listedWithin (for tests). */
  get listingHeld(): boolean {
    return this.known.snapshotHeld;
  }

  /** The index answers the pages: the listing kept for listedWithin is let go (KnownFiles.release). */
  indexAnswers(): void {
    this.known.release();
  }

  watchedBy(watch: { complete(): boolean }): void {
    this.known.watchedBy(watch);
  }

  changed(relPath: string): void {
    this.known.changed(relPath);
  }

  /** A file's key: remembered while it stats the same, else from a head read (null: it cannot be read). */
  private async keyed(st: StattedFile): Promise<RolloutFile | null> {
    const known = this.keys.get(st.relPath);
    if (known && known.ino === st.ino && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.key;
    const kind = classifyClaudePath(st.relPath);
    if (kind?.kind !== 'session') return null; // listed by discovery, so never; the type says it can be
    const file: ClaudeFile = { ...kind.file, absPath: this.absPath(st.relPath) };
    // Only the first timestamp matters here: no reading on for the name.
    const result = await readClaudeSessionFile(file, 0, 0, await this.readEnv(), this.log, false);
    if (result === null) return null;
    // A file without a record yet is ordered by its mtime, as its summary's createdAt is.
    const createdAt = result.read?.summary.createdAt ?? new Date(result.stat.mtimeMs).toISOString();
    const key = claudeRolloutFile(file, createdAt);
    this.keys.set(file.relPath, { ino: result.stat.ino, size: result.stat.size, mtimeMs: result.stat.mtimeMs, key });
    return key;
  }

  private async readEnv(): Promise<ReadEnv> {
    if (this.env !== undefined) return this.env();
    this.ownEnv ??= {
      realRoot: (await this.roots()).realHome,
      limits: DEFAULT_READ_LIMITS,
      budget: new MemoryBudget(OWN_BUDGET_BYTES, DEFAULT_BUDGET_WAIT_MS),
    };
    return this.ownEnv;
  }
}
