import { codex, type AnySource } from '../sources/registry.js';
import type { SessionWalker } from '../sources/source.js';
import { TreeWatcher, type RawEventKind, type TreeChanges, type TreeWatch } from './tree-watcher.js';
import type { RolloutLogger } from '../types.js';

type Listener = (changes: TreeChanges) => Promise<void> | void;

/** Session files the hub remembers as changed since the watch started; past this, it forgets them all (touchedFiles: null). */
const MAX_TOUCHED = 50_000;

/**
 * The repository's one tree watcher and everyone who listens to it: the metadata index and the
 * live change feed take its debounced reports; followers of one file hear the raw events of
 * that file at once. It is started by the index, or by the first live stream when there is no
 * index, and runs until the repository closes.
 *
 * It also keeps the tree's version: a counter bumped by every raw event (synchronously, before
 * the debounce) and after every report has been taken in, and next to it a counter of the
 * index's changes. While the watch is complete, two moments with the same version saw the same
 * tree, so a response built from the tree can be tagged with the version it was built at.
 */
export class WatchHub implements TreeWatch {
  private readonly watcher: TreeWatcher;
  private readonly listeners: Listener[] = [];
  private readonly pathListeners = new Map<string, Set<() => void>>();
  private starting: Promise<void> | null = null;
  private treeCounter = 0;
  private indexCounter = 0;
  private touched: Set<string> | null = new Set();

  constructor(
    private readonly walker: SessionWalker,
    private readonly log: RolloutLogger,
    /** Runs before the watch starts (the feed takes the names as they are). */
    private readonly beforeStart: () => Promise<void> = async () => {},
    private readonly source: AnySource = codex,
  ) {
    this.watcher = new TreeWatcher(walker, (changes) => this.report(changes), log, (rel, kind) => this.rawEvent(rel, kind), source);
    walker.watchedBy?.({ complete: () => this.watcher.complete });
  }

  start(): Promise<void> {
    this.starting ??= this.beforeStart().then(() => this.watcher.start()).then(
      () => this.bump(),
      (err) => this.log.warn({ err }, 'watching the Codex home failed; live changes may be missed'),
    );
    return this.starting;
  }

  /** True once the watcher has been asked to start. */
  get started(): boolean {
    return this.starting !== null;
  }

  listen(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at !== -1) this.listeners.splice(at, 1);
    };
  }

  /** Calls `wake` at once on every raw event of the file at `relPath` (a follower); returns the unsubscribe function. */
  onPath(relPath: string, wake: () => void): () => void {
    let set = this.pathListeners.get(relPath);
    if (set === undefined) this.pathListeners.set(relPath, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.pathListeners.get(relPath) === set) this.pathListeners.delete(relPath);
    };
  }

  settled(): Promise<void> {
    return this.watcher.settled();
  }

  /**
   * The version of the tree, with `withIndex` also of the index, as a token; null while no
   * complete watch guarantees that every change of the tree moves it.
   */
  version(withIndex: boolean): string | null {
    if (!this.watcher.complete) return null;
    return withIndex ? `${this.treeCounter}.${this.indexCounter}` : String(this.treeCounter);
  }

  /** The tree changed: responses tagged before are stale. */
  bump(): void {
    this.treeCounter += 1;
  }

  /** What the index answers changed (it is kept apart: a building index does not stale pages made without it). */
  bumpIndex(): void {
    this.indexCounter += 1;
  }

  /**
   * The session files (relative paths) the watch has seen change since it started, while it is
   * complete and they are at most MAX_TOUCHED; null otherwise. With a complete index, a file it
   * does not hold is one of these: a lookup of an id no file has need not walk the tree.
   */
  touchedFiles(): string[] | null {
    return this.watcher.complete && this.touched !== null ? [...this.touched] : null;
  }

  private rawEvent(relPath: string, _kind: RawEventKind): void {
    this.walker.changed?.(relPath);
    // Other entries of the home (history.jsonl, logs, config) change no response.
    const { watch } = this.source;
    const isFile = this.walker.fileAt(relPath) !== null;
    if (isFile && this.touched !== null) {
      this.touched.add(relPath);
      if (this.touched.size > MAX_TOUCHED) this.touched = null;
    }
    if (relPath === watch.namesFile || watch.isTreeDir(relPath) || isFile) this.bump();
    const wakes = this.pathListeners.get(relPath);
    if (wakes !== undefined) for (const wake of [...wakes]) wake();
  }

  private async report(changes: TreeChanges): Promise<void> {
    if (changes.files.length === 0 && changes.gone.length === 0 && !changes.namesChanged) return;
    for (const listener of [...this.listeners]) {
      try {
        await listener(changes);
      } catch (err) {
        this.log.warn({ err }, 'a listener of tree changes failed');
      }
    }
    this.bump();
  }

  async close(): Promise<void> {
    await this.watcher.close();
    this.bump();
  }
}
