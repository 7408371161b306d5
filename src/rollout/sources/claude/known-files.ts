import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES_AT_ONCE } from '../../tuning.js';
import type { RolloutLogger } from '../../types.js';
import { claudePathKind, classifyClaudePath, discoverClaudeFiles, type ClaudeFile } from './discovery.js';
import { findClaudeHome } from './home.js';
import type { Statted } from './newest-first.js';

/** A transcript with the stat it was listed at. */
export type StattedFile = Statted<ClaudeFile & { st: Stats }>;

/**
 * What listedWithin answered one request: the listing its walk takes instead of listing again
 * (null: list as usual, the listing being kept, or having failed, which the walk then meets).
 * It goes to that request's walk alone, so concurrent pages cannot take each other's.
 */
export interface Vouched {
  readonly byPath: Map<string, StattedFile> | null;
}

interface Waiter {
  cap: number;
  answer: (listed: Vouched | null) => void;
}

/**
 * The Claude home's transcripts and their stats, newest write first, kept between walks while
 * the home's watch is complete (it tells every changed path: that file is stat'ed again; a
 * change of a directory lists the tree again). Without a complete watch every walk lists and
 * stats the whole tree: a Claude file's name holds no time, so the order needs every stat, and
 * on 65,000 files that is seconds (docs/claude.md, "Serving").
 */
export class KnownFiles {
  private watch: { complete(): boolean } | null = null;
  private byPath: Map<string, StattedFile> | null = null;
  private sorted: StattedFile[] | null = null;
  private readonly dirty = new Set<string>();
  /** The listing under way: concurrent walks share it (each of its own would multiply the stats). */
  private discovering: Promise<Map<string, StattedFile>> | null = null;
  /** Changes of directories told: a listing started before one is not kept. */
  private treeChanges = 0;
  /** Files the listing under way has found so far, and the requests waiting while it is small (listedWithin). */
  private found = 0;
  private readonly waiters: Waiter[] = [];
  /** The last listing done that could not be kept (no complete watch): what listedWithin vouches for while the next one runs. */
  private snapshot: Map<string, StattedFile> | null = null;
  private listings = 0;

  constructor(
    private readonly home: string,
    private readonly log: RolloutLogger,
  ) {}

  watchedBy(watch: { complete(): boolean }): void {
    this.watch = watch;
  }

  /** A raw event of the watch: a transcript is stat'ed again at the next walk; anything else of the tree lists it again. */
  changed(relPath: string): void {
    const kind = classifyClaudePath(relPath);
    if (kind === null) return; // history.jsonl, settings, a sub-agent's .meta.json: no transcript
    if (kind.kind === 'session') this.dirty.add(relPath);
    else {
      this.byPath = null;
      this.treeChanges += 1;
    }
  }

  /** Listings of the tree started (for tests: concurrent pages share one). */
  get listingsStarted(): number {
    return this.listings;
  }

  /** Every transcript with its stat, by mtime, newest first; `gone` hears the paths no longer there. */
  async list(gone: (relPath: string) => void, vouched?: Vouched): Promise<StattedFile[]> {
    const watching = this.watch?.complete() === true;
    if (!watching || this.byPath === null) {
      const listed = vouched?.byPath ?? null;
      if (listed !== null && this.dirty.size === 0) return this.inOrder(listed);
      // Changes told from here on are applied on top of this listing.
      const byPath = await (this.discovering ??= this.discover(watching).finally(() => (this.discovering = null)));
      return this.inOrder(byPath);
    }
    const byPath = this.byPath;
    if (this.dirty.size > 0) await this.restat(byPath, gone);
    return this.inOrder(byPath);
  }

  /**
   * Whether a walk can list the tree at once (null: not yet): when the listing is kept, or when a
   * listing ends having found at most `cap` files; null as soon as the listing under way has found
   * more (it goes on in the background). A first page on a large home does not wait for a listing
   * of the whole tree (docs/claude.md, "Serving"); on a small one it does. Without a complete
   * watch the listing is not kept: the answer carries the listing this call waited for, or the
   * last one done (at most one listing old), for this caller's walk alone; and each call starts
   * the next in the background.
   */
  async listedWithin(cap: number): Promise<Vouched | null> {
    if (this.watch?.complete() === true && this.byPath !== null) return { byPath: null };
    if (this.discovering === null) {
      const listing = this.discover(this.watch?.complete() === true).finally(() => (this.discovering = null));
      this.discovering = listing;
      void listing.then((byPath) => (this.snapshot = this.byPath === byPath ? null : byPath), () => {});
    }
    if (this.snapshot !== null) return { byPath: this.snapshot };
    if (this.found > cap) return null;
    const listing = this.discovering;
    return new Promise<Vouched | null>((answer) => {
      const waiter: Waiter = { cap, answer };
      this.waiters.push(waiter);
      void listing.then(
        (byPath) => this.answer(waiter, { byPath: this.byPath === byPath ? null : byPath }),
        () => this.answer(waiter, { byPath: null }), // a failed listing is the walk's to meet
      );
    });
  }

  private answer(waiter: Waiter, listed: Vouched | null): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    waiter.answer(listed);
  }

  private inOrder(byPath: Map<string, StattedFile>): StattedFile[] {
    if (this.sorted !== null && this.byPath === byPath) return this.sorted;
    const sorted = [...byPath.values()].sort((a, b) => b.mtimeMs - a.mtimeMs);
    if (this.byPath === byPath) this.sorted = sorted;
    return sorted;
  }

  private async discover(watching: boolean): Promise<Map<string, StattedFile>> {
    this.listings += 1;
    this.dirty.clear();
    const changesBefore = this.treeChanges;
    const found: ClaudeFile[] = [];
    this.found = 0;
    const home = await findClaudeHome(this.home);
    if (home !== null) {
      for await (const file of discoverClaudeFiles(home, this.log)) {
        found.push(file);
        this.found = found.length;
        for (const waiter of this.waiters.filter((w) => found.length > w.cap)) this.answer(waiter, null);
      }
    }
    const out = new Map<string, StattedFile>();
    for (let i = 0; i < found.length; i += FILES_AT_ONCE) {
      const chunk = found.slice(i, i + FILES_AT_ONCE);
      const stats = await Promise.all(chunk.map((f) => stat(f.absPath).catch(() => null)));
      chunk.forEach((file, j) => {
        const st = stats[j];
        if (st) out.set(file.relPath, { file: { ...file, st }, mtimeMs: st.mtimeMs });
      });
    }
    this.sorted = null;
    const kept = watching && this.watch?.complete() === true && this.treeChanges === changesBefore;
    this.byPath = kept ? out : null;
    return out;
  }

  /** The told paths again, by discovery's rules (a regular file, or a link to one inside the home that is no alias). */
  private async restat(byPath: Map<string, StattedFile>, gone: (relPath: string) => void): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    const home = await findClaudeHome(this.home);
    for (const relPath of paths) {
      const kind = classifyClaudePath(relPath);
      const absPath = join(this.home, relPath);
      const usable = home !== null && kind?.kind === 'session' && (await claudePathKind(home, relPath)) === 'file';
      const st = usable ? await stat(absPath).catch(() => null) : null;
      if (st === null || kind?.kind !== 'session') {
        byPath.delete(relPath);
        gone(relPath);
      } else {
        byPath.set(relPath, { file: { ...kind.file, absPath, st }, mtimeMs: st.mtimeMs });
      }
    }
    this.sorted = null;
  }
}
