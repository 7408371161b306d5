import { stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { sameFile, type FileStamp } from '../files/file-stamp.js';
import { ARCHIVED_DIR, SESSIONS_DIR, type TreeWalker } from '../files/tree-walk.js';
import type { CandidateSource } from '../listing/page-loop.js';
import type { SearchQuery } from '../search/match.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { RolloutFile } from '../types.js';
import type {
  IndexDeps,
  IndexFactory,
  IndexProgress,
  IndexQuery,
  MetadataIndex,
  ModelUsage,
  UsageAggregate,
  UsageAggregation,
} from './metadata-index.js';
import { updateFile } from './file-update.js';
import { batchedCandidates, candidatesOf } from './index-candidates.js';
import { ForeignIndexError, indexLoss } from './index-errors.js';
import { IndexDb } from './sqlite-store.js';
import { WriteBatch } from './write-batch.js';
import type { TreeChanges } from './tree-watcher.js';

/** Files stat'ed (and, when changed, read) together; small, so requests keep their share of I/O. */
const BATCH = 16;

export interface SqliteIndexOptions {
  /** The index file, outside the Codex home. */
  path: string;
  /** A full verification pass also runs this often, as a safety net for missed watch events. */
  rescanIntervalMs?: number;
  /** Delay of the first verification pass when the index was already complete at start-up. */
  verifyDelayMs?: number;
}

/** Watches see live changes; the full pass is a safety net for anything they missed. */
const DEFAULT_RESCAN_MS = 30 * 60 * 1000;
/** Start-up and the first requests get the machine to themselves for this long. */
const DEFAULT_VERIFY_DELAY_MS = 60 * 1000;

/** The SQLite index as the repository's index factory. */
export function sqliteIndex(options: SqliteIndexOptions): IndexFactory {
  return (deps) => new SqliteIndex({ ...options, ...deps });
}

/**
 * The SQLite metadata index, kept in step with the Codex home: a background pass at start-up
 * (and periodically), the tree watcher for changes in between, and a cheap check of the newest
 * day directory before each query. Nothing here ever writes into the Codex home.
 */
export class SqliteIndex implements MetadataIndex {
  private db: IndexDb | null = null;
  /** The inode of the open index file: another one at the path means the file was replaced. */
  private dbIno: number | null = null;
  private state: IndexProgress['state'] = 'building';
  private reason: string | null = null;
  private checked = 0;
  private lastPassMs: number | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;
  private readonly unlisten: () => void;
  private timer: NodeJS.Timeout | null = null;
  private verifyTimer: NodeJS.Timeout | null = null;
  private watching: Promise<void> = Promise.resolve();
  private starting: Promise<void> = Promise.resolve();
  private readonly recentDirs = new Map<string, number>();
  /** The update under way for each file, so that two never interleave. */
  private readonly updating = new Map<string, { done: Promise<void>; batch: WriteBatch }>();
  private readonly walker: TreeWalker;

  private readonly options: SqliteIndexOptions & IndexDeps;

  constructor(options: SqliteIndexOptions & IndexDeps) {
    this.options = options;
    this.walker = options.walker;
    this.unlisten = options.watch.listen((changes) => this.takeChanges(changes));
  }

  start(): void {
    this.starting = this.open();
  }

  private async open(): Promise<void> {
    if (!(await this.openDb(false)) || this.db === null) return;
    this.watching = this.options.watch.start(); // a failed watch is logged there; the periodic pass covers it
    this.timer = setInterval(() => void this.pass(), this.options.rescanIntervalMs ?? DEFAULT_RESCAN_MS);
    this.timer.unref();
    if (!this.db.complete) {
      void this.pass();
      return;
    }
    // A complete index from the last run answers at once. Its verification pass (changes
    // made while the service was down) waits a little, so start-up and first requests have
    // the machine to themselves; live changes are seen by the watches meanwhile.
    this.state = 'ready';
    this.options.changed();
    this.verifyTimer = setTimeout(() => void this.pass(), this.options.verifyDelayMs ?? DEFAULT_VERIFY_DELAY_MS);
    this.verifyTimer.unref();
  }

  /** Opens the index file (`fresh`: replaced by an empty one); false when it cannot be used. */
  private async openDb(fresh: boolean): Promise<boolean> {
    try {
      this.db = await IndexDb.open(this.options.path, this.walker.codexHome, { fresh, onChange: this.options.changed });
      this.dbIno = statSync(this.options.path).ino;
    } catch (err) {
      this.db = null;
      this.state = 'failed';
      if (err instanceof ForeignIndexError) {
        this.reason = err.message;
        this.options.degraded.note('index', `metadata index not used: ${err.message}; serving by scanning`);
      } else {
        this.reason = 'the index file cannot be opened';
        this.options.log.warn({ err, indexPath: this.options.path }, 'metadata index unavailable; serving by scanning');
      }
      return false;
    }
    if (this.stopping) return false; // closed while opening: close() closes the file
    return true;
  }

  /**
   * Runs one call on the index. SQLite reports a damaged file (overwritten, truncated) only when
   * a query touches it: then the index stops answering at once (queries scan), and a fresh file
   * is built in the background. Other errors are the caller's.
   */
  private use<T>(fn: (db: IndexDb) => T, fallback: T): T {
    const db = this.db;
    if (db === null) return fallback;
    try {
      return fn(db);
    } catch (err) {
      if (!this.lost(db, err)) throw err;
      return fallback;
    }
  }

  /** True (and the index dropped) when `err` says the index file itself is damaged or gone. */
  private lost(db: IndexDb, err: unknown): boolean {
    const loss = indexLoss(err);
    if (loss === null) return false;
    const reason = loss === 'corrupt' ? 'the index file was found corrupt' : 'the index file lost its tables';
    this.drop(db, `${reason}; it is being rebuilt (queries scan meanwhile)`, err);
    return true;
  }

  /** Stops using `db` and builds the index again, from a fresh file when it was corrupt. */
  private drop(db: IndexDb, reason: string, cause?: unknown): void {
    if (this.db !== db || this.stopping) return;
    this.db = null;
    this.state = 'rebuilding';
    this.reason = reason;
    this.options.degraded.note('index', `metadata index: ${reason}`, cause);
    this.options.changed();
    try {
      db.close();
    } catch {
      // a damaged file may not even close cleanly
    }
    const fresh = indexLoss(cause) === 'corrupt';
    this.starting = (async () => {
      await this.running?.catch(() => {});
      if (this.stopping || !(await this.openDb(fresh))) return;
      this.state = 'rebuilding';
      await this.pass();
    })();
  }

  /**
   * True while the open index file is still this home's: the same file at the path, saying it
   * indexes this home. Another instance may have replaced it or bound it to another home; then
   * it is opened again (and refused when it is another home's).
   */
  private async stillOurs(): Promise<boolean> {
    const db = this.db;
    if (db === null) return false;
    const st = await stat(this.options.path).catch(() => null);
    const owner = this.use((d) => d.owner(), undefined);
    if (this.db !== db) return false;
    if (st !== null && st.ino === this.dbIno && owner === this.walker.codexHome) return true;
    const takenOver = owner !== undefined && owner !== this.walker.codexHome;
    this.drop(db, takenOver ? 'the index file was taken over by another Codex home' : 'the index file was replaced');
    return false;
  }

  get usable(): boolean {
    return this.db !== null && this.state === 'ready';
  }

  progress(): IndexProgress {
    return {
      state: this.state,
      reason: this.reason,
      complete: this.usable,
      filesInIndex: this.use((db) => db.count(), 0),
      filesCheckedThisPass: this.checked,
      lastPassMs: this.lastPassMs,
    };
  }

  async candidates(query: IndexQuery): Promise<CandidateSource | null> {
    await this.catchUp();
    const rows = this.use((db) => db.query(query), null);
    if (rows === null) return null;
    return { candidates: candidatesOf(this.walker, rows), trusted: true, maxExamined: Number.POSITIVE_INFINITY };
  }

  async searchCandidates(query: IndexQuery, search: SearchQuery): Promise<CandidateSource | null> {
    await this.catchUp();
    const condition = this.use((db) => db.search.candidateCondition(search, query.limit), null);
    if (condition === null) return null;
    const rowsAfter = (after: IndexQuery['after'], limit: number) => this.use((db) => db.query({ ...query, after, limit }, condition), []);
    const candidates = batchedCandidates(this.walker, query.after, query.limit, rowsAfter);
    return { candidates, trusted: false, maxExamined: Number.POSITIVE_INFINITY };
  }

  async searchDocuments(file: RolloutFile, stamp: FileStamp, search: SearchQuery, fromLine = 0): Promise<Iterable<LocatedDoc> | null> {
    return this.use((db) => {
      const row = db.get(file.relPath);
      if (row === undefined || !sameFile(row.stamp, stamp) || row.contentSize !== stamp.size) return null;
      // Materialised here, so that a damaged file is found inside `use`.
      return [...db.search.candidates(row.fid, search, fromLine)];
    }, null);
  }

  async usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    return this.use((db) => db.usageByPath(relPaths), new Map());
  }

  async usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null> {
    await this.catchUp(); // the report covers what was appended a moment ago
    return this.use((db) => db.usage.timeRange(), null);
  }

  async aggregateUsage(q: UsageAggregation): Promise<UsageAggregate> {
    return this.use((db) => db.usage.aggregate(q), { tokens: [], sessions: [] });
  }

  async lookup(id: string): Promise<RolloutFile[]> {
    if (!(await this.stillOurs())) return [];
    return this.use((db) => db.byId(id), []).map((row) => this.walker.fileAt(row.relPath)).filter((f) => f !== null);
  }

  async refresh(file: RolloutFile): Promise<void> {
    await this.indexFiles([file]);
  }

  async idle(): Promise<void> {
    await this.starting;
    await this.watching;
    await this.running;
    await this.options.watch.settled();
  }

  /** A full pass: every rollout file is stat'ed, changed ones re-read, vanished ones dropped. */
  pass(): Promise<void> {
    if (this.db === null || this.running) return this.running ?? Promise.resolve();
    const db = this.db;
    const started = Date.now();
    this.checked = 0;
    this.running = (async () => {
      try {
        const seen = new Set<string>();
        let batch: RolloutFile[] = [];
        for await (const file of this.walker.everyFile()) {
          if (this.stopping || this.db !== db) return;
          seen.add(file.relPath);
          batch.push(file);
          if (batch.length >= BATCH) {
            await this.indexFiles(batch);
            this.checked += batch.length;
            batch = [];
            await yieldToRequests();
          }
        }
        await this.indexFiles(batch);
        this.checked += batch.length;
        if (this.stopping || this.db !== db) return;
        const finished = this.use(() => {
          db.transaction(() => {
            for (const path of db.allPaths()) if (!seen.has(path)) db.delete(path);
            db.markComplete();
          });
          db.analyze();
          return true;
        }, false);
        if (!finished) return;
        if (this.state === 'rebuilding') this.options.degraded.clear('index');
        this.reason = null;
        this.state = 'ready';
        this.lastPassMs = Date.now() - started;
        this.options.log.debug({ files: seen.size, ms: this.lastPassMs }, 'metadata index pass complete');
      } catch (err) {
        if (this.db !== db || this.lost(db, err)) return;
        if (this.state !== 'ready') this.state = 'failed';
        this.options.log.warn({ err }, 'metadata index pass failed; queries fall back to scanning');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Brings one file's record up to date: its summary (read again only when it may have changed)
   * and its content (read from where the last pass stopped when the file only grew, from the
   * start otherwise). One update per file at a time.
   */
  private update(file: RolloutFile, batch: WriteBatch): Promise<void> {
    const previous = this.updating.get(file.relPath);
    // The next update of a file starts from what the previous one wrote: commit it first.
    const next = (previous?.done ?? Promise.resolve()).then(() => {
      previous?.batch.flush();
      return this.updateNow(file, batch);
    });
    const entry = { done: next.catch(() => {}), batch };
    this.updating.set(file.relPath, entry);
    void entry.done.then(() => {
      if (this.updating.get(file.relPath) === entry) this.updating.delete(file.relPath);
    });
    return next;
  }

  private async updateNow(file: RolloutFile, batch: WriteBatch): Promise<void> {
    const db = this.db;
    if (db === null || this.stopping) return;
    const { env, log } = this.options;
    await updateFile(db, batch, file, { env, log, current: () => !this.stopping && this.db === db });
  }

  /**
   * Brings each file's record up to date and commits what they found together, BATCH files at a
   * time: a burst of new files (a watcher event for a day directory of thousands) must not open
   * them all at once.
   */
  private async indexFiles(files: RolloutFile[]): Promise<void> {
    const unique = [...new Map(files.map((f) => [f.relPath, f])).values()];
    for (let i = 0; i < unique.length; i += BATCH) await this.indexBatch(unique.slice(i, i + BATCH));
  }

  private async indexBatch(files: RolloutFile[]): Promise<void> {
    const db = this.db;
    if (db === null || files.length === 0) return;
    const batch = new WriteBatch(db);
    const results = await Promise.allSettled(files.map((file) => this.update(file, batch)));
    this.use(() => batch.flush(), undefined);
    for (const r of results) {
      if (r.status === 'fulfilled' || this.lost(db, r.reason)) continue;
      this.options.log.debug({ err: r.reason }, 'indexing a file failed; the next pass retries it');
    }
  }

  private async takeChanges({ files, gone }: TreeChanges): Promise<void> {
    this.use((db) => db.transaction(() => gone.forEach((rel) => db.delete(rel))), undefined);
    await this.indexFiles(files);
  }

  /**
   * Before a query: if the newest day directory or archived_sessions/ changed since the last
   * look, index what changed in it. New sessions land there, so they show up in the very next
   * request even before the watcher reports them.
   */
  private async catchUp(): Promise<void> {
    if (!(await this.stillOurs())) return;
    await this.options.watch.settled();
    const dirs = [ARCHIVED_DIR];
    const [year] = await this.walker.numericDirs(SESSIONS_DIR, 'desc');
    const [month] = year ? await this.walker.numericDirs(`${SESSIONS_DIR}/${year}`, 'desc') : [];
    const [day] = year && month ? await this.walker.numericDirs(`${SESSIONS_DIR}/${year}/${month}`, 'desc') : [];
    if (year && month && day) dirs.push(`${SESSIONS_DIR}/${year}/${month}/${day}`);
    for (const rel of dirs) {
      const mtime = (await stat(this.walker.absPath(rel)).catch(() => null))?.mtimeMs ?? -1;
      if (this.recentDirs.get(rel) === mtime) continue;
      this.recentDirs.set(rel, mtime);
      await this.indexFiles(await this.walker.filesIn(rel, 'desc'));
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.starting;
    if (this.timer) clearInterval(this.timer);
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    this.unlisten();
    await this.options.watch.settled();
    await this.running?.catch(() => {});
    this.db?.close();
    this.db = null;
  }
}
