import { stat } from 'node:fs/promises';
import { codex } from '../sources/registry.js';
import type { TreeChanges } from '../live/tree-watcher.js';
import type { RolloutFile } from '../types.js';
import { updateFile } from './file-update.js';
import type { IndexDeps } from './metadata-index.js';
import type { IndexStore, WriteOp } from './store.js';
import { WriteBatch } from './write-batch.js';
import { giveWay, requestsFirst, type PassTurns } from './give-way.js';
import { FILES_AT_ONCE } from '../tuning.js';
import { holdPassHeap } from './pass-heap.js';

/** Files stat'ed (and, when changed, read) together; small, so requests keep their share of I/O. */
const BATCH = FILES_AT_ONCE;
/** A pass logs how far it got at most this often. */
const PROGRESS_LOG_MS = 10_000;

/** What the upkeep needs of its index: the store in use, and how the index runs calls and writes on it. */
export interface UpkeepHost {
  store(): IndexStore | null;
  use<T>(fn: (store: IndexStore) => Promise<T>, fallback: T): Promise<T>;
  write(store: IndexStore, ops: WriteOp[]): Promise<void>;
  /** True (and the store dropped) when `err` says the store is damaged or gone. */
  lost(store: IndexStore, err: unknown): boolean;
  stopping(): boolean;
  passDone(): Promise<void>;
  passFailed(): void;
}

/**
 * Keeps a store in step with the Codex home, whatever the backend: a full pass at start-up (and
 * periodically), the tree watcher for changes in between, and a cheap check of the newest day
 * directory before each query. Every write goes through the host (which waits out a busy
 * store). Nothing here ever writes into the Codex home.
 */
export class Upkeep {
  checked = 0;
  lastPassMs: number | null = null;
  private running: Promise<void> | null = null;
  private watching: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private verifyTimer: NodeJS.Timeout | null = null;
  private readonly recentDirs = new Map<string, number>();
  /** The update under way for each file, so that two never interleave. */
  private readonly updating = new Map<string, { done: Promise<void>; batch: WriteBatch }>();
  private readonly unlisten: () => void;
  private readonly closing = new AbortController();

  /** `turns`: shared with the other indexes of the process, whose full passes take turns with this one's. */
  constructor(
    private readonly deps: IndexDeps,
    private readonly host: UpkeepHost,
    private readonly turns?: PassTurns,
  ) {
    this.unlisten = deps.watch.listen((changes) => this.takeChanges(changes));
  }

  startWatching(rescanMs: number): void {
    this.watching = this.deps.watch.start(); // a failed watch is logged there; the periodic pass covers it
    this.timer = setInterval(() => void this.pass('rescan'), rescanMs);
    this.timer.unref();
  }

  verifyLater(delayMs: number): void {
    this.verifyTimer = setTimeout(() => void this.pass('verify'), delayMs);
    this.verifyTimer.unref();
  }

  /** Resolves when no pass runs (a failed one included). */
  async noPassRunning(): Promise<void> {
    await this.running?.catch(() => {});
  }

  /**
   * A full pass: every rollout file is stat'ed, changed ones re-read, vanished ones dropped.
   * It logs at info when it starts, every PROGRESS_LOG_MS, and when it is done.
   */
  pass(why: 'build' | 'rebuild' | 'verify' | 'rescan'): Promise<void> {
    const store = this.host.store();
    if (store === null || this.running) return this.running ?? Promise.resolve();
    const { log } = this.deps;
    this.checked = 0;
    const current = () => !this.host.stopping() && this.host.store() === store;
    this.running = (async () => {
      const turn = this.turns === undefined ? () => {} : await this.turns.take(this.closing.signal);
      const heap = holdPassHeap();
      try {
        if (turn === null || !current()) return;
        const started = Date.now();
        let logged = started;
        log.info?.({ pass: why }, 'metadata index pass started');
        const seen = new Set<string>();
        let batch: RolloutFile[] = [];
        for await (const file of this.deps.walker.everyFile()) {
          if (!current()) return;
          seen.add(file.relPath);
          batch.push(file);
          if (batch.length >= BATCH) {
            await this.indexFiles(batch, giveWay);
            this.checked += batch.length;
            batch = [];
            if (Date.now() - logged >= PROGRESS_LOG_MS) {
              logged = Date.now();
              log.info?.({ pass: why, filesChecked: this.checked, ms: logged - started }, 'metadata index pass under way');
            }
            await giveWay();
          }
        }
        await this.indexFiles(batch, giveWay);
        this.checked += batch.length;
        if (!current()) return;
        const gone = (await store.paths()).filter((path) => !seen.has(path));
        await this.host.write(store, [...gone.map((relPath): WriteOp => ({ kind: 'delete', relPath })), { kind: 'complete' }]);
        await store.afterPass();
        if (!current()) return;
        await this.host.passDone();
        this.lastPassMs = Date.now() - started;
        log.info?.({ pass: why, files: seen.size, ms: this.lastPassMs }, 'metadata index pass complete');
      } catch (err) {
        if (!current() || this.host.lost(store, err)) return;
        this.host.passFailed();
        log.warn({ err, pass: why }, 'metadata index pass failed; queries fall back to scanning');
      } finally {
        heap();
        turn?.();
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Brings each file's record up to date and commits what they found together, BATCH files at a
   * time: a burst of new files (a watcher event for a day directory of thousands) must not open
   * them all at once. A background pass gives `giveWay` (give-way.ts): its writes let requests
   * go first; the watcher's and a request's catch-up do not wait for requests.
   */
  async indexFiles(files: RolloutFile[], giveWay?: () => Promise<unknown>): Promise<void> {
    const unique = [...new Map(files.map((f) => [f.relPath, f])).values()];
    for (let i = 0; i < unique.length; i += BATCH) await this.indexBatch(unique.slice(i, i + BATCH), giveWay);
  }

  private async indexBatch(files: RolloutFile[], giveWay?: () => Promise<unknown>): Promise<void> {
    const store = this.host.store();
    if (store === null || files.length === 0) return;
    const batch = new WriteBatch((ops) => this.host.write(store, ops), giveWay);
    const results = await Promise.allSettled(files.map((file) => this.update(store, file, batch, giveWay)));
    await this.host.use(() => batch.flush(), undefined);
    for (const r of results) {
      if (r.status === 'fulfilled' || this.host.lost(store, r.reason)) continue;
      this.deps.log.debug({ err: r.reason }, 'indexing a file failed; the next pass retries it');
    }
  }

  /**
   * Brings one file's record up to date: its summary (read again only when it may have changed)
   * and its content (read from where the last pass stopped when the file was only appended to,
   * from the start otherwise). One update per file at a time; a background pass's (`giveWay`)
   * starts when requests let it.
   */
  private update(store: IndexStore, file: RolloutFile, batch: WriteBatch, giveWay?: () => Promise<unknown>): Promise<void> {
    const previous = this.updating.get(file.relPath);
    // A request's or the watcher's update behind a pass's: the pass must not wait for the requests.
    const hurried = previous !== undefined && giveWay === undefined ? requestsFirst.hurry() : null;
    // The next update of a file starts from what the previous one wrote: commit it first.
    const next = (previous?.done ?? Promise.resolve()).then(async () => {
      await previous?.batch.flush();
      hurried?.();
      await giveWay?.();
      if (this.host.stopping() || this.host.store() !== store) return;
      const { env, log, source } = this.deps;
      const row = await store.get(file.relPath);
      const current = () => !this.host.stopping() && this.host.store() === store;
      const responseKeys = (relPath: string) => store.responseKeys(relPath);
      await updateFile(row, batch, file, { env, log, current, responseKeys, ...(source ? { source } : {}) });
    });
    next.catch(() => {}).finally(() => hurried?.());
    const entry = { done: next.catch(() => {}), batch };
    this.updating.set(file.relPath, entry);
    void entry.done.then(() => {
      if (this.updating.get(file.relPath) === entry) this.updating.delete(file.relPath);
    });
    return next;
  }

  private async takeChanges({ files, gone }: TreeChanges): Promise<void> {
    const store = this.host.store();
    if (store !== null && gone.length > 0) {
      await this.host.use((s) => this.host.write(s, gone.map((relPath) => ({ kind: 'delete', relPath }))), undefined);
    }
    await this.indexFiles(files);
  }

  /**
   * Before a query: if the newest day directory or archived_sessions/ changed since the last
   * look, index what changed in it. New sessions land there, so they show up in the very next
   * request even before the watcher reports them.
   */
  async catchUp(): Promise<void> {
    const { walker, watch } = this.deps;
    await watch.settled();
    for (const rel of await (this.deps.source ?? codex).recentDirs(walker)) {
      const mtime = (await stat(walker.absPath(rel)).catch(() => null))?.mtimeMs ?? -1;
      if (this.recentDirs.get(rel) === mtime) continue;
      this.recentDirs.set(rel, mtime);
      await this.indexFiles(await walker.filesIn(rel, 'desc'));
    }
  }

  async idle(): Promise<void> {
    await this.watching;
    await this.running;
    await this.deps.watch.settled();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    this.closing.abort();
    this.unlisten();
    await this.deps.watch.settled();
    await this.running?.catch(() => {});
  }
}
