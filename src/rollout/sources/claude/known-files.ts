import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES_AT_ONCE } from '../../tuning.js';
import type { RolloutLogger } from '../../types.js';
import { claudePathKind, classifyClaudePath, discoverClaudeFiles } from './discovery.js';
import { findClaudeHome } from './home.js';
import { PackedListing, type Listing, type StattedFile } from './packed-listing.js';

const statted = (relPath: string, st: { mtimeMs: number; size: number; ino: number }): StattedFile => ({
  relPath,
  mtimeMs: st.mtimeMs,
  size: st.size,
  ino: st.ino,
});

/**
 * What listedWithin answered one request: the listing its walk takes instead of listing again
 * (null: list as usual, the listing being kept, or having failed, which the walk then meets).
 * It goes to that request's walk alone, so concurrent pages cannot take each other's.
 */
export interface Vouched {
  /** The listing by mtime, newest first. */
  readonly sorted: Listing | null;
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
  /** The listing kept while the watch is complete (null: none kept), and its order (null: to sort again after a restat). */
  private byPath: Map<string, StattedFile> | null = null;
  private sorted: StattedFile[] | null = null;
  private readonly dirty = new Set<string>();
  /** The listing under way: concurrent walks share it (each of its own would multiply the stats). */
  private discovering: Promise<StattedFile[]> | null = null;
  /** Changes of directories told: a listing started before one is not kept. */
  private treeChanges = 0;
  /** Files the listing under way has found so far, and the requests waiting while it is small (listedWithin). */
  private found = 0;
  private readonly waiters: Waiter[] = [];
  /**
   * The last listing done that could not be kept (no complete watch): what listedWithin vouches
   * for while the next one runs. Packed: it stays until the index answers, all through the build.
   */
  private snapshot: PackedListing | null = null;
  private listings = 0;
  /** Releases told: a listing that was under way at one is not kept as the snapshot when it ends. */
  private releases = 0;

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
      this.sorted = null;
      this.treeChanges += 1;
    }
  }

  /** Listings of the tree started (for tests: concurrent pages share one). */
  get listingsStarted(): number {
    return this.listings;
  }

  /** Whether a listing is held for listedWithin to vouch for (for tests: released once the index answers). */
  get snapshotHeld(): boolean {
    return this.snapshot !== null;
  }

  /** Bytes the snapshot holds outside the heap (for tests), 0 without one. */
  get snapshotBytes(): number {
    return this.snapshot?.heldBytes ?? 0;
  }

  /**
   * The index answers the pages now: listedWithin is asked no more, so the last listing it kept
   * to vouch for is let go (on 65,000 files it was tens of MB held, and V8 grows its heap by a
   * multiple of what is held). The next listedWithin, if the index stops answering, lists again.
   */
  release(): void {
    this.snapshot = null;
    this.releases += 1;
  }

  /** Every transcript with its stat, by mtime, newest first; `gone` hears the paths no longer there. */
  async list(gone: (relPath: string) => void, vouched?: Vouched): Promise<Listing> {
    const watching = this.watch?.complete() === true;
    if (!watching || this.byPath === null) {
      const listed = vouched?.sorted ?? null;
      if (listed !== null && this.dirty.size === 0) return listed;
      // Changes told from here on are applied on top of this listing.
      return await (this.discovering ??= this.discover(watching).finally(() => (this.discovering = null)));
    }
    const byPath = this.byPath;
    if (this.dirty.size > 0) await this.restat(byPath, gone);
    this.sorted ??= [...byPath.values()].sort(newestWrite);
    return this.sorted;
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
    if (this.watch?.complete() === true && this.byPath !== null) return { sorted: null };
    if (this.discovering === null) {
      const listing = this.discover(this.watch?.complete() === true).finally(() => (this.discovering = null));
      this.discovering = listing;
      const releases = this.releases;
      void listing.then((sorted) => {
        if (this.releases === releases) this.snapshot = this.isKept(sorted) ? null : new PackedListing(sorted);
      }, () => {});
    }
    if (this.snapshot !== null) return { sorted: this.snapshot };
    if (this.found > cap) return null;
    const listing = this.discovering;
    return new Promise<Vouched | null>((answer) => {
      const waiter: Waiter = { cap, answer };
      this.waiters.push(waiter);
      void listing.then(
        (sorted) => this.answer(waiter, { sorted: this.isKept(sorted) ? null : sorted }),
        () => this.answer(waiter, { sorted: null }), // a failed listing is the walk's to meet
      );
    });
  }

  private isKept(sorted: StattedFile[]): boolean {
    return this.byPath !== null && this.sorted === sorted;
  }

  private answer(waiter: Waiter, listed: Vouched | null): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    waiter.answer(listed);
  }

  /** One listing and a stat per transcript, by mtime; kept when the watch was complete all along. */
  private async discover(watching: boolean): Promise<StattedFile[]> {
    this.listings += 1;
    this.dirty.clear();
    const changesBefore = this.treeChanges;
    // Only the paths while the tree is read: a ClaudeFile per transcript held till the stats was another copy of the listing.
    const found: string[] = [];
    this.found = 0;
    const home = await findClaudeHome(this.home);
    if (home !== null) {
      for await (const file of discoverClaudeFiles(home, this.log)) {
        found.push(file.relPath);
        this.found = found.length;
        for (const waiter of this.waiters.filter((w) => found.length > w.cap)) this.answer(waiter, null);
      }
    }
    const out: StattedFile[] = [];
    for (let i = 0; i < found.length; i += FILES_AT_ONCE) {
      const chunk = found.slice(i, i + FILES_AT_ONCE);
      const stats = await Promise.all(chunk.map((rel) => stat(join(this.home, rel)).catch(() => null)));
      chunk.forEach((rel, j) => {
        const st = stats[j];
        if (st) out.push(statted(rel, st));
      });
    }
    out.sort(newestWrite);
    const kept = watching && this.watch?.complete() === true && this.treeChanges === changesBefore;
    this.byPath = kept ? new Map(out.map((f) => [f.relPath, f])) : null;
    this.sorted = kept ? out : null;
    return out;
  }

  /** The told paths again, by discovery's rules (a regular file, or a link to one inside the home that is no alias). */
  private async restat(byPath: Map<string, StattedFile>, gone: (relPath: string) => void): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    const home = await findClaudeHome(this.home);
    for (const relPath of paths) {
      const kind = classifyClaudePath(relPath);
      const usable = home !== null && kind?.kind === 'session' && (await claudePathKind(home, relPath)) === 'file';
      const st = usable ? await stat(join(this.home, relPath)).catch(() => null) : null;
      if (st === null) {
        byPath.delete(relPath);
        gone(relPath);
      } else {
        byPath.set(relPath, statted(relPath, st));
      }
    }
    this.sorted = null;
  }
}

const newestWrite = (a: StattedFile, b: StattedFile): number => b.mtimeMs - a.mtimeMs;
