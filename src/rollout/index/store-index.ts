import { setTimeout as sleep } from 'node:timers/promises';
import type { FileStamp } from '../files/file-stamp.js';
import type { CandidateSource } from '../listing/page-loop.js';
import type { SearchQuery } from '../search/match.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { RolloutFile } from '../types.js';
import { isCurrent } from './identity.js';
import { batchedCandidates, candidatesOf } from './index-candidates.js';
import type {
  IndexDeps,
  IndexProgress,
  IndexQuery,
  MetadataIndex,
  ModelUsage,
  UsageAggregate,
  UsageAggregation,
} from './metadata-index.js';
import { StoreRefusedError, type IndexStore, type StoreBackend, type WriteOp } from './store.js';
import { Upkeep } from './upkeep.js';
import type { PassTurns } from './give-way.js';

export interface StoreIndexOptions {
  /** A full verification pass also runs this often, as a safety net for missed watch events. */
  rescanIntervalMs?: number;
  /** Delay of the first verification pass when the index was already complete at start-up. */
  verifyDelayMs?: number;
  /** Shared by the indexes of one process (one per source): their full passes run one at a time (give-way.ts PassTurns). */
  turns?: PassTurns;
}

/** Watches see live changes; the full pass is a safety net for anything they missed. */
const DEFAULT_RESCAN_MS = 30 * 60 * 1000;
/** Start-up and the first requests get the machine to themselves for this long. */
const DEFAULT_VERIFY_DELAY_MS = 60 * 1000;
/** How long a busy store (locked by another process) is left alone before the next try: doubling up to the last. */
const BUSY_WAITS_MS = [100, 200, 500, 1000, 2000];
/** progress() counts the store's rows at most this often (it is asked on every /readyz). */
const COUNT_EVERY_MS = 1000;

/**
 * The metadata index over any IndexStore: it opens the store through its backend, keeps it in
 * step with the Codex home (Upkeep: passes, watch, catch-up), and answers the repository's
 * queries from it. What a backend's trouble means (damaged, taken over, busy) is decided here
 * from the backend's classification; nothing here knows SQL.
 */
export class StoreIndex implements MetadataIndex {
  private store: IndexStore | null = null;
  private state: IndexProgress['state'] = 'building';
  private reason: string | null = null;
  /** Why writes wait (the store is busy); null while they do not. */
  private waitingFor: string | null = null;
  private onWaiting: (() => void)[] = [];
  private stopping = false;
  private starting: Promise<void> = Promise.resolve();
  private rows = { n: 0, at: 0, counting: false };
  private readonly upkeep: Upkeep;
  readonly home: string;

  constructor(
    private readonly backend: StoreBackend,
    private readonly options: StoreIndexOptions,
    private readonly deps: IndexDeps,
  ) {
    this.home = deps.home;
    this.upkeep = new Upkeep(deps, {
      store: () => this.store,
      use: (fn, fallback) => this.use(fn, fallback),
      write: (store, ops) => this.writeOps(store, ops),
      lost: (store, err) => this.lost(store, err),
      stopping: () => this.stopping,
      passDone: () => this.passDone(),
      passFailed: () => {
        if (this.state === 'ready') return;
        this.state = 'failed';
        this.reason = 'the index pass failed (see the log); the next pass tries again';
        this.deps.degraded.note('index', `metadata index: ${this.reason}; serving by scanning`);
      },
    }, options.turns);
  }

  start(): void {
    this.starting = this.open();
  }

  private async open(): Promise<void> {
    if (!(await this.openStore(false))) return;
    const store = this.store!;
    this.upkeep.startWatching(this.options.rescanIntervalMs ?? DEFAULT_RESCAN_MS);
    if (!(await this.use((s) => s.complete(), false))) {
      void this.upkeep.pass('build');
      return;
    }
    if (this.store !== store) return;
    this.rows = { n: await this.use((s) => s.count(), 0), at: Date.now(), counting: false };
    // A complete index from the last run answers at once. Its verification pass (changes
    // made while the service was down) waits a little, so start-up and first requests have
    // the machine to themselves; live changes are seen by the watches meanwhile.
    this.state = 'ready';
    this.deps.changed();
    this.upkeep.verifyLater(this.options.verifyDelayMs ?? DEFAULT_VERIFY_DELAY_MS);
  }

  /**
   * Opens the store (`fresh`: replaced by an empty one); false when it cannot be used. A busy
   * store (another process holds it) is waited for, state `waiting`, and never replaced.
   */
  private async openStore(fresh: boolean): Promise<boolean> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        this.store = await this.backend.open(this.home, fresh);
        if (this.waitingFor !== null) this.stopWaiting();
        if (this.stopping) return false; // closed while opening: close() closes it
        return true;
      } catch (err) {
        this.store = null;
        const trouble = this.backend.classify(err);
        if (trouble?.kind === 'busy') {
          this.startWaiting(trouble.reason, err);
          await sleep(BUSY_WAITS_MS[Math.min(attempt, BUSY_WAITS_MS.length - 1)]);
          continue;
        }
        this.state = 'failed';
        if (err instanceof StoreRefusedError) {
          this.reason = err.message;
          this.deps.degraded.note('index', `metadata index not used: ${err.message}; serving by scanning`);
        } else {
          this.reason = 'the index cannot be opened';
          this.deps.degraded.note('index', `metadata index unavailable (${this.reason}); serving by scanning`, err);
        }
        return false;
      }
    }
    return false;
  }

  private startWaiting(reason: string, cause: unknown): void {
    if (this.waitingFor === reason) return;
    this.waitingFor = reason;
    this.deps.degraded.note('index-busy', `metadata index: ${reason}; waiting for it (queries scan meanwhile, nothing is dropped)`, cause);
    for (const wake of this.onWaiting.splice(0)) wake();
    this.deps.changed();
  }

  private stopWaiting(): void {
    this.waitingFor = null;
    this.deps.degraded.clear('index-busy');
    this.deps.changed();
  }

  /**
   * Commits `ops` to `store`, waiting as long as it is busy (another process writes): an update
   * is never dropped. Other errors are the caller's.
   */
  private async writeOps(store: IndexStore, ops: WriteOp[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (await store.write(ops)) this.deps.changed();
        if (this.waitingFor !== null) this.stopWaiting();
        return;
      } catch (err) {
        const trouble = this.backend.classify(err);
        if (trouble?.kind !== 'busy' || this.stopping || this.store !== store) throw err;
        this.startWaiting(trouble.reason, err);
        await sleep(BUSY_WAITS_MS[Math.min(attempt, BUSY_WAITS_MS.length - 1)]);
      }
    }
  }

  /**
   * Runs one call on the store. A damaged store is found only when a call touches it: then the
   * index stops answering at once (queries scan) and a fresh one is built in the background. A
   * busy one answers `fallback` (the caller scans). Other errors are the caller's.
   */
  private async use<T>(fn: (store: IndexStore) => Promise<T>, fallback: T): Promise<T> {
    const store = this.store;
    if (store === null) return fallback;
    try {
      return await fn(store);
    } catch (err) {
      if (this.backend.classify(err)?.kind === 'busy' || this.lost(store, err)) return fallback;
      throw err;
    }
  }

  /** True (and the store dropped) when `err` says the store itself is damaged or gone. */
  private lost(store: IndexStore, err: unknown): boolean {
    const trouble = this.backend.classify(err);
    if (trouble === null || trouble.kind === 'busy') return false;
    this.drop(store, `${trouble.reason}; it is being rebuilt (queries scan meanwhile)`, trouble.kind === 'lost', err);
    return true;
  }

  /** Stops using `store` and builds the index again, from a fresh store when it was damaged. */
  private drop(store: IndexStore, reason: string, fresh: boolean, cause?: unknown): void {
    if (this.store !== store || this.stopping) return;
    this.store = null;
    this.state = 'rebuilding';
    this.reason = reason;
    this.deps.degraded.note('index', `metadata index: ${reason}`, cause);
    this.deps.changed();
    void store.close().catch(() => {}); // a damaged store may not even close cleanly
    this.starting = (async () => {
      await this.upkeep.noPassRunning();
      if (this.stopping || !(await this.openStore(fresh))) return;
      this.state = 'rebuilding';
      await this.upkeep.pass('rebuild');
    })();
  }

  /** True while the open store is still this home's; otherwise it is dropped and opened again (refused when another home's). */
  private async stillOurs(): Promise<boolean> {
    const store = this.store;
    if (store === null) return false;
    const why = await this.use((s) => s.verify(), null);
    if (this.store !== store) return false;
    if (why === null) return true;
    this.drop(store, why, false);
    return false;
  }

  /** A pass completed: the row count is taken now (progress() must not show the last build's), then the index answers. */
  private async passDone(): Promise<void> {
    const n = await this.use((s) => s.count(), this.rows.n);
    this.rows = { n, at: Date.now(), counting: false };
    if (this.state !== 'ready') this.deps.degraded.clear('index');
    this.reason = null;
    this.state = 'ready';
  }

  get usable(): boolean {
    return this.store !== null && this.state === 'ready' && this.waitingFor === null;
  }

  progress(): IndexProgress {
    this.countRows();
    const waiting = this.waitingFor !== null && this.state !== 'failed';
    return {
      state: waiting ? 'waiting' : this.state,
      reason: waiting ? this.waitingFor : this.reason,
      complete: this.usable,
      filesInIndex: this.rows.n,
      filesCheckedThisPass: this.upkeep.checked,
      lastPassMs: this.upkeep.lastPassMs,
    };
  }

  /** Refreshes the row count in the background, at most every COUNT_EVERY_MS. */
  private countRows(): void {
    if (this.rows.counting || Date.now() - this.rows.at < COUNT_EVERY_MS) return;
    this.rows.counting = true;
    void this.use((s) => s.count(), this.rows.n)
      .catch(() => this.rows.n)
      .then((n) => (this.rows = { n, at: Date.now(), counting: false }));
  }

  async candidates(query: IndexQuery): Promise<CandidateSource | null> {
    await this.catchUp();
    const rows = await this.use((s) => s.query(query), null);
    if (rows === null) return null;
    return { candidates: candidatesOf(this.deps.walker, rows), trusted: true, maxExamined: Number.POSITIVE_INFINITY };
  }

  async count(query: Omit<IndexQuery, 'after' | 'limit'>): Promise<number | null> {
    if (!this.usable) return null;
    await this.catchUp();
    return this.use((s) => s.countMatching(query), null);
  }

  async searchCandidates(query: IndexQuery, search: SearchQuery): Promise<CandidateSource | null> {
    await this.catchUp();
    const filter = await this.use((s) => s.searchFilter(search, query.limit), null);
    if (filter === null) return null;
    const rowsAfter = (after: IndexQuery['after'], limit: number) => this.use((s) => s.query({ ...query, after, limit }, filter), []);
    const candidates = batchedCandidates(this.deps.walker, query.after, query.limit, rowsAfter);
    return { candidates, trusted: false, maxExamined: Number.POSITIVE_INFINITY };
  }

  async searchDocuments(file: RolloutFile, stamp: FileStamp, search: SearchQuery, fromLine = 0): Promise<Iterable<LocatedDoc> | null> {
    return this.use(async (s) => {
      const row = await s.get(file.relPath);
      if (row === undefined || !isCurrent(row, stamp)) return null;
      return s.documents(file.relPath, search, fromLine);
    }, null);
  }

  async usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    return this.use((s) => s.usageOf(relPaths), new Map());
  }

  async usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null> {
    await this.catchUp(); // the report covers what was appended a moment ago
    return this.use((s) => s.usageTimeRange(), null);
  }

  async aggregateUsage(q: UsageAggregation): Promise<UsageAggregate> {
    return this.use((s) => s.aggregateUsage(q), { tokens: [], sessions: [] });
  }

  async countedElsewhere(relPath: string, keys: readonly string[]): Promise<Set<string> | null> {
    await this.catchUp(); // the owners as the files are now
    return this.use(async (s) => (s.countedElsewhere === undefined ? null : s.countedElsewhere(relPath, keys)), null);
  }

  async lookup(id: string): Promise<RolloutFile[]> {
    if (!(await this.stillOurs())) return [];
    const rows = await this.use((s) => s.byId(id), []);
    return rows.map((row) => this.deps.walker.fileAt(row.relPath)).filter((f) => f !== null);
  }

  /** Re-indexes one file now; a store that turns busy meanwhile is not waited for (the page then scans). */
  async refresh(file: RolloutFile): Promise<void> {
    const done = this.upkeep.indexFiles([file]);
    let wake = () => {};
    const waiting = new Promise<void>((resolve) => (wake = resolve));
    if (this.waitingFor !== null) wake();
    this.onWaiting.push(wake);
    try {
      await Promise.race([done, waiting]);
    } finally {
      this.onWaiting = this.onWaiting.filter((w) => w !== wake);
      done.catch(() => {}); // when the wait won, the update goes on alone (and logs its failure)
    }
  }

  private async catchUp(): Promise<void> {
    if (await this.stillOurs()) await this.upkeep.catchUp();
  }

  async idle(): Promise<void> {
    await this.starting;
    await this.upkeep.idle();
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.upkeep.close();
    await this.store?.close();
    this.store = null;
  }
}
