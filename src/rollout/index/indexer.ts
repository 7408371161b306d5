import { stat } from 'node:fs/promises';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { onlyGrew, sameFile, stampOf, type FileStamp } from '../files/file-stamp.js';
import { ARCHIVED_DIR, SESSIONS_DIR, type TreeWalker } from '../files/tree-walk.js';
import type { Candidate, CandidateSource } from '../listing/page-loop.js';
import type { SearchQuery } from '../search/match.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import { readSessionFile } from '../reading/session-reader.js';
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
import { indexContent } from './content-pass.js';
import { initialContentState } from './content-state.js';
import { IndexDb } from './sqlite-store.js';
import { WriteBatch } from './write-batch.js';
import type { TreeChanges } from './tree-watcher.js';

/** Files stat'ed (and, when changed, read) together; small, so requests keep their share of I/O. */
const BATCH = 16;
/** Sessions a search page takes from the index at a time. */
const SEARCH_BATCH = 64;

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
  private state: IndexProgress['state'] = 'building';
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
    try {
      this.db = await IndexDb.open(this.options.path, this.walker.codexHome, this.options.changed);
    } catch (err) {
      this.state = 'failed';
      this.options.log.warn({ err, indexPath: this.options.path }, 'metadata index unavailable; serving by scanning');
      return;
    }
    if (this.stopping) return; // closed while opening: close() closes the file
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

  get usable(): boolean {
    return this.db !== null && this.state === 'ready';
  }

  progress(): IndexProgress {
    return {
      state: this.state,
      complete: this.usable,
      filesInIndex: this.db?.count() ?? 0,
      filesCheckedThisPass: this.checked,
      lastPassMs: this.lastPassMs,
    };
  }

  async candidates(query: IndexQuery): Promise<CandidateSource> {
    await this.catchUp();
    const rows = this.db?.query(query) ?? [];
    const candidates = rows.flatMap((row) => {
      const file = this.walker.fileAt(row.relPath);
      return file === null ? [] : [{ file, position: { key: row.key, mtimeMs: row.mtimeMs }, stamp: row.stamp }];
    });
    return { candidates, trusted: true, maxExamined: Number.POSITIVE_INFINITY };
  }

  async searchCandidates(query: IndexQuery, search: SearchQuery): Promise<CandidateSource> {
    // The first batch is the page (and its look-ahead); later ones are larger.
    const pageSize = query.limit;
    await this.catchUp();
    const db = this.db;
    const condition = db?.search.candidateCondition(search, pageSize);
    const walker = this.walker;
    // Candidates come in batches as the page asks for them: many may not hold the words.
    async function* stream(): AsyncGenerator<Candidate> {
      let after = query.after;
      let limit = pageSize;
      while (db !== null && condition !== undefined) {
        const rows = db.query({ ...query, after, limit }, condition);
        for (const row of rows) {
          const file = walker.fileAt(row.relPath);
          if (file !== null) yield { file, position: { key: row.key, mtimeMs: row.mtimeMs }, stamp: row.stamp };
        }
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < limit) return;
        after = { key: last.key, mtimeMs: last.mtimeMs };
        limit = Math.max(limit, SEARCH_BATCH);
      }
    }
    return { candidates: stream(), trusted: false, maxExamined: Number.POSITIVE_INFINITY };
  }

  async searchDocuments(file: RolloutFile, stamp: FileStamp, search: SearchQuery, fromLine = 0): Promise<Iterable<LocatedDoc> | null> {
    const row = this.db?.get(file.relPath);
    if (this.db === null || row === undefined || !sameFile(row.stamp, stamp) || row.contentSize !== stamp.size) return null;
    return this.db.search.candidates(row.fid, search, fromLine);
  }

  async usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    const out = new Map<string, ModelUsage[]>();
    if (this.db === null) return out;
    const fids = this.db.indexedFids(relPaths);
    const byFid = new Map<number, ModelUsage[]>([...fids.values()].map((fid) => [fid, []]));
    for (const { fid, ...usage } of this.db.usage.ofFiles([...fids.values()])) byFid.get(fid)?.push(usage);
    for (const [relPath, fid] of fids) out.set(relPath, byFid.get(fid) ?? []);
    return out;
  }

  async usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null> {
    await this.catchUp(); // the report covers what was appended a moment ago
    return this.db?.usage.timeRange() ?? null;
  }

  async aggregateUsage(q: UsageAggregation): Promise<UsageAggregate> {
    return this.db?.usage.aggregate(q) ?? { tokens: [], sessions: [] };
  }

  async lookup(id: string): Promise<RolloutFile[]> {
    return (this.db?.byId(id) ?? []).map((row) => this.walker.fileAt(row.relPath)).filter((f) => f !== null);
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
        for (const walk of [this.walker.active('desc'), this.walker.archived('desc')]) {
          for await (const file of walk) {
            if (this.stopping) return;
            seen.add(file.relPath);
            batch.push(file);
            if (batch.length >= BATCH) {
              await this.indexFiles(batch);
              this.checked += batch.length;
              batch = [];
              await yieldToRequests();
            }
          }
        }
        await this.indexFiles(batch);
        this.checked += batch.length;
        if (this.stopping) return;
        db.transaction(() => {
          for (const path of db.allPaths()) if (!seen.has(path)) db.delete(path);
          db.markComplete();
        });
        db.analyze();
        this.state = 'ready';
        this.lastPassMs = Date.now() - started;
        this.options.log.debug({ files: seen.size, ms: this.lastPassMs }, 'metadata index pass complete');
      } catch (err) {
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
    const row = db.get(file.relPath);
    const st = await stat(file.absPath).catch(() => null);
    if (st === null) {
      batch.add(() => db.delete(file.relPath));
      return;
    }
    const stamp = stampOf(st);
    if (row && sameFile(row.stamp, stamp) && (!row.isSession || row.contentSize === stamp.size)) return;
    // Rollouts are append-only: a file that only grew keeps what was indexed of it.
    const kept = row?.content ?? null;
    const grew = row !== undefined && kept !== null && (sameFile(row.stamp, stamp) || onlyGrew(row.stamp, stamp));
    const fid = row?.fid ?? db.allocateFid();
    let from = grew ? kept : null;
    if (!(grew && row?.hasUserMessage)) {
      // The summary may have changed (a new file, one replaced, or one without a title yet).
      const result = await readSessionFile(file, 0, 0, this.options.limits, this.options.log);
      if (this.stopping || this.db !== db) return;
      if (result === null) {
        batch.add(() => db.delete(file.relPath));
        return;
      }
      const { read } = result;
      const session = read && { summary: read.summary, hasUserMessage: read.hasUserMessage };
      const readStamp = stampOf(result.stat);
      const fresh = from === null || !sameFile(readStamp, stamp) || session === null;
      const start = { offset: 0, lineNo: 1, state: initialContentState() };
      if (fresh) from = start;
      batch.add(() => {
        db.upsert({ file, stamp: readStamp, session }, fid);
        if (fresh) db.clearContent(file.relPath, fid, start);
      });
      if (session === null || !sameFile(readStamp, stamp)) return; // not a session, or changed meanwhile
    } else {
      batch.add(() => db.touch(file.relPath, stamp));
    }
    if (from !== null) await indexContent(db, batch, file, fid, from, stamp, this.options.limits);
  }

  /** Brings each file's record up to date, a few at a time, and commits what they found together. */
  private async indexFiles(files: RolloutFile[]): Promise<void> {
    const db = this.db;
    if (db === null || files.length === 0) return;
    const batch = new WriteBatch(db);
    const unique = [...new Map(files.map((f) => [f.relPath, f])).values()];
    const results = await Promise.allSettled(unique.map((file) => this.update(file, batch)));
    batch.flush();
    for (const r of results) {
      if (r.status === 'rejected') this.options.log.debug({ err: r.reason }, 'indexing a file failed; the next pass retries it');
    }
  }

  private async takeChanges({ files, gone }: TreeChanges): Promise<void> {
    const db = this.db;
    if (db === null) return;
    db.transaction(() => gone.forEach((rel) => db.delete(rel)));
    await this.indexFiles(files);
  }

  /**
   * Before a query: if the newest day directory or archived_sessions/ changed since the last
   * look, index what changed in it. New sessions land there, so they show up in the very next
   * request even before the watcher reports them.
   */
  private async catchUp(): Promise<void> {
    if (this.db === null) return;
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
