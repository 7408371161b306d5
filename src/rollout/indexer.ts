import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { pathKind } from './fs-safety.js';
import { IndexDb, sameStamp, type IndexQuery, type IndexRow } from './index-db.js';
import { readSessionFile, type ReadLimits } from './session-reader.js';
import {
  ARCHIVED_DIR,
  SESSIONS_DIR,
  isTreeDir,
  numericDirs,
  rolloutFileAt,
  rolloutFilesIn,
  walkActive,
  walkArchived,
  type WalkRoots,
} from './tree-walk.js';
import type { RolloutFile, RolloutLogger } from './types.js';

/** Files stat'ed (and, when changed, read) together; small, so requests keep their share of I/O. */
const BATCH = 16;
const WATCH_DEBOUNCE_MS = 50;

export interface IndexProgress {
  state: 'disabled' | 'building' | 'ready' | 'failed';
  /** True once a full pass has completed: only then do queries use the index. */
  complete: boolean;
  filesInIndex: number;
  filesCheckedThisPass: number;
  lastPassMs: number | null;
}

export interface IndexerOptions {
  path: string;
  codexHome: string;
  roots: () => Promise<WalkRoots>;
  limits: ReadLimits;
  log: RolloutLogger;
  /** A full verification pass also runs this often, as a safety net for missed watch events. */
  rescanIntervalMs: number;
  /** Delay of the first verification pass when the index was already complete at start-up. */
  verifyDelayMs: number;
}

/**
 * Keeps the metadata index in step with the Codex home: a background pass at start-up (and
 * periodically), a recursive watch for changes in between, and a cheap check of the newest
 * day directory before each query. Nothing here ever writes into the Codex home.
 */
export class SessionIndexer {
  private db: IndexDb | null = null;
  private state: IndexProgress['state'] = 'building';
  private checked = 0;
  private lastPassMs: number | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;
  private watched = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private verifyTimer: NodeJS.Timeout | null = null;
  private watching: Promise<void> = Promise.resolve();
  private starting: Promise<void> = Promise.resolve();
  private dirty = new Set<string>();
  private dirtyTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private recentDirs = new Map<string, number>();

  constructor(private readonly options: IndexerOptions) {}

  /** Opens the index and starts filling it in the background; never waits for the build. */
  start(): void {
    this.starting = this.open();
  }

  private async open(): Promise<void> {
    try {
      this.db = await IndexDb.open(this.options.path, this.options.codexHome);
    } catch (err) {
      this.state = 'failed';
      this.options.log.warn({ err, indexPath: this.options.path }, 'metadata index unavailable; serving by scanning');
      return;
    }
    if (this.stopping) return; // closed while opening: close() closes the file
    this.watching = this.watchTree().catch((err) => this.options.log.debug({ err }, 'watching failed; the periodic pass covers it'));
    this.timer = setInterval(() => void this.pass(), this.options.rescanIntervalMs);
    this.timer.unref();
    if (!this.db.complete) {
      void this.pass();
      return;
    }
    // A complete index from the last run answers at once. Its verification pass (changes
    // made while the service was down) waits a little, so start-up and first requests have
    // the machine to themselves; live changes are seen by the watches meanwhile.
    this.state = 'ready';
    this.verifyTimer = setTimeout(() => void this.pass(), this.options.verifyDelayMs);
    this.verifyTimer.unref();
  }

  /** The index answers queries only once it has seen the whole tree. */
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

  query(q: IndexQuery): IndexRow[] {
    return this.db?.query(q) ?? [];
  }

  rowsForId(id: string): IndexRow[] {
    return this.db?.byId(id) ?? [];
  }

  /** Waits for the running pass (tests and benchmarks; requests never wait for it). */
  async idle(): Promise<void> {
    await this.starting;
    await this.watching;
    await this.running;
    await this.flushing;
  }

  /** A full pass: every rollout file is stat'ed, changed ones re-read, vanished ones dropped. */
  pass(): Promise<void> {
    if (this.db === null || this.running) return this.running ?? Promise.resolve();
    const db = this.db;
    const started = Date.now();
    this.checked = 0;
    this.running = (async () => {
      try {
        const roots = await this.options.roots();
        const seen = new Set<string>();
        let batch: RolloutFile[] = [];
        for (const walk of [walkActive(roots, 'desc'), walkArchived(roots, 'desc')]) {
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

  /** Stats each file and re-reads those whose size, mtime or inode changed. */
  private async indexFiles(files: RolloutFile[]): Promise<void> {
    const db = this.db;
    if (db === null || files.length === 0) return;
    const results = await Promise.all(
      files.map(async (file) => {
        const row = db.get(file.relPath);
        const st = await stat(file.absPath).catch(() => null);
        if (st === null) return { kind: 'gone' as const, file };
        if (row && sameStamp(row, st)) return null;
        // Rollouts are append-only: once the meta and the title are known, a file that grew
        // keeps its summary, so nothing is read at all.
        if (row?.hasUserMessage && row.ino === String(st.ino) && st.size > row.size) return { kind: 'grown' as const, file, st };
        const read = await readSessionFile(file, 0, 0, this.options.limits, this.options.log);
        return read === null ? { kind: 'gone' as const, file } : { kind: 'read' as const, file, ...read };
      }),
    );
    if (this.stopping) return;
    db.transaction(() => {
      for (const r of results) {
        if (r === null) continue;
        if (r.kind === 'gone') db.delete(r.file.relPath);
        else if (r.kind === 'grown') db.touch(r.file.relPath, r.st);
        else db.upsert(r.file, r.stat, r.read);
      }
    });
  }

  /** Re-indexes one file now (a query found its row stale). */
  async refreshFile(file: RolloutFile): Promise<void> {
    await this.indexFiles([file]);
  }

  /**
   * Before a query: if the newest day directory or archived_sessions/ changed since the last
   * look, index what changed in it. New sessions land there, so they show up in the very next
   * request even before the watcher reports them.
   */
  async refreshRecent(): Promise<void> {
    if (this.db === null) return;
    await this.flushing;
    const roots = await this.options.roots();
    const dirs: [string, string, boolean][] = [[join(roots.codexHome, ARCHIVED_DIR), ARCHIVED_DIR, true]];
    const base = join(roots.codexHome, SESSIONS_DIR);
    const [year] = await numericDirs(roots, base, 4, 'desc');
    const [month] = year ? await numericDirs(roots, join(base, year), 2, 'desc') : [];
    const [day] = year && month ? await numericDirs(roots, join(base, year, month), 2, 'desc') : [];
    if (year && month && day) dirs.push([join(base, year, month, day), `${SESSIONS_DIR}/${year}/${month}/${day}`, false]);
    for (const [abs, rel, archived] of dirs) {
      const mtime = (await stat(abs).catch(() => null))?.mtimeMs ?? -1;
      if (this.recentDirs.get(abs) === mtime) continue;
      this.recentDirs.set(abs, mtime);
      await this.indexFiles(await rolloutFilesIn(roots, abs, rel, archived, 'desc'));
    }
  }

  /**
   * One non-recursive watch per directory of the tree (the home, sessions/, each year, month
   * and day, archived_sessions/), set up in the background. Node 20's recursive fs.watch on
   * Linux stats and watches every file before returning: seconds and hundreds of MB on a
   * 100,000-session tree. A directory watch also reports appends to the files in it.
   */
  private async watchTree(): Promise<void> {
    const roots = await this.options.roots();
    this.watchDir('');
    await this.adopt(roots, ARCHIVED_DIR, false);
    await this.adopt(roots, SESSIONS_DIR, false);
  }

  private watchDir(relDir: string): void {
    if (this.stopping || this.watched.has(relDir)) return;
    try {
      const watcher = watch(join(this.options.codexHome, relDir), { persistent: false });
      watcher.on('change', (_event, name) => {
        if (typeof name === 'string') this.markDirty(relDir === '' ? name : `${relDir}/${name}`);
      });
      watcher.on('error', () => {
        watcher.close();
        this.watched.delete(relDir);
      });
      this.watched.set(relDir, watcher);
    } catch {
      // Not there (yet): its parent's watch, refreshRecent and the periodic pass cover it.
    }
  }

  /**
   * Starts watching a directory of the tree and everything below it. With `collect`, returns
   * the rollout files of its day directories (a new directory's files may predate its watch).
   */
  private async adopt(roots: WalkRoots, relDir: string, collect = true): Promise<RolloutFile[]> {
    const parts = relDir.split('/');
    const abs = join(roots.codexHome, relDir);
    if ((await pathKind(abs, roots.realHome)) !== 'directory') return [];
    this.watchDir(relDir);
    if (relDir === ARCHIVED_DIR || parts.length === 4) {
      return collect ? rolloutFilesIn(roots, abs, relDir, relDir === ARCHIVED_DIR, 'desc') : [];
    }
    const files: RolloutFile[] = [];
    for (const child of await numericDirs(roots, abs, parts.length === 1 ? 4 : 2, 'desc')) {
      files.push(...(await this.adopt(roots, `${relDir}/${child}`, collect)));
    }
    return files;
  }

  private markDirty(relPath: string): void {
    this.dirty.add(relPath);
    this.dirtyTimer ??= setTimeout(() => {
      this.dirtyTimer = null;
      this.flushing = this.flushing.then(() => this.flushDirty());
    }, WATCH_DEBOUNCE_MS);
  }

  private async flushDirty(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    const roots = await this.options.roots();
    const files: RolloutFile[] = [];
    for (const rel of paths) {
      const file = rolloutFileAt(roots, rel);
      if (file !== null) {
        if ((await pathKind(file.absPath, roots.realHome)) === 'file') files.push(file);
        else this.db?.delete(rel);
      } else if (isTreeDir(rel)) {
        files.push(...(await this.adopt(roots, rel)));
      }
    }
    try {
      await this.indexFiles(files);
    } catch (err) {
      this.options.log.warn({ err }, 'metadata index update failed');
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.starting;
    if (this.timer) clearInterval(this.timer);
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    if (this.dirtyTimer) clearTimeout(this.dirtyTimer);
    for (const w of this.watched.values()) w.close();
    this.watched.clear();
    await this.running?.catch(() => {});
    await this.flushing.catch(() => {});
    this.db?.close();
    this.db = null;
  }
}
