import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A checkpoint is asked for at most this often while writes go on. Each copies the newest version
 * of every page written since the last, so a page written again and again (FTS5's segment
 * index, b-tree inner pages, the rollup's rows) is copied once per period: at 250 ms the
 * checkpoint thread took 3.2-3.6 s of CPU in a build of the 10,000-session Claude home, at 1 s
 * 2.4 s (docs/performance.md, "Indexing Claude files"). The WAL between two grows with it.
 */
const EVERY_MS = 1000;
/**
 * Below this much WAL a checkpoint runs on the writing connection itself (it copies at most this
 * much: a few ms), and writes ask for none: SQLite's own automatic checkpoint starts at 1000 pages.
 */
const WORKER_FROM_BYTES = 4 * 1024 * 1024;
/** The worker ends once it has had nothing to do for this long; the next large WAL starts another. */
const IDLE_MS = 30_000;

/**
 * The worker's code, inline: the service is bundled into one file (scripts/build.mjs), so a
 * worker module of its own would not be there. It loads better-sqlite3 from the path resolved by
 * the main thread and opens its own connection on the same WAL file.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { timeout: 5000 });
parentPort.on('message', ({ id, mode }) => {
  if (mode === 'close') { db.close(); parentPort.close(); return; }
  try {
    const [r] = db.pragma('wal_checkpoint(' + mode + ')');
    parentPort.postMessage({ id, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.code) || err) });
  }
});`;

export interface CheckpointResult {
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

export interface CheckpointerOptions {
  /** A checkpoint on the writing connection (for a small WAL). */
  local(mode: 'PASSIVE' | 'TRUNCATE'): CheckpointResult;
  /** The worker failed: the writing connection checkpoints by itself again. */
  fallback(): void;
  /** Tests: the WAL size from which the worker runs checkpoints, and its idle time before it ends. */
  workerFromBytes?: number;
  idleMs?: number;
}

/**
 * Copies the WAL into the database file on a worker thread. SQLite's automatic checkpoint runs
 * inside the COMMIT of whichever write crosses 1000 pages: on the main thread, with an fsync,
 * it was half the time the first build held the event loop (docs/index.md, "The first build").
 * The writing connection turns it off (`wal_autocheckpoint = 0`) while this runs; a PASSIVE
 * checkpoint never blocks the writer or the readers. Should the worker fail, the writing
 * connection checkpoints by itself again (`fallback`). The worker (a thread with a JavaScript
 * heap of its own, ~9 MB of resident memory) starts only once the WAL is large, as in a build,
 * and ends when idle or after a TRUNCATE (a pass's end): a service whose index only follows a few
 * appends never has one.
 */
export class Checkpointer {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private inFlight = false;
  private lastAsked = 0;
  private failed = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly workerFromBytes: number;
  private readonly idleMs: number;

  constructor(
    private readonly path: string,
    private readonly options: CheckpointerOptions,
  ) {
    this.workerFromBytes = options.workerFromBytes ?? WORKER_FROM_BYTES;
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  /** True while the worker thread exists. */
  get running(): boolean {
    return this.worker !== null;
  }

  private walBytes(): number {
    try {
      return statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** After a write: asks for a PASSIVE checkpoint of a large WAL unless one runs or one was asked for very recently. */
  wrote(): void {
    if (this.failed || this.inFlight || Date.now() - this.lastAsked < EVERY_MS) return;
    if (this.worker === null && this.walBytes() < this.workerFromBytes) return;
    this.inFlight = true;
    this.lastAsked = Date.now();
    void this.run('PASSIVE')
      .catch(() => {}) // a busy or failed checkpoint is taken again after the next write
      .finally(() => (this.inFlight = false));
  }

  /** A checkpoint of the given mode: on the worker's connection, or on the writer's for a small WAL while no worker runs. */
  async run(mode: 'PASSIVE' | 'TRUNCATE'): Promise<CheckpointResult> {
    if (this.failed) throw new Error('the checkpoint worker is not running');
    if (this.worker === null && this.walBytes() < this.workerFromBytes) return this.options.local(mode);
    const worker = this.start();
    const id = this.nextId++;
    const result = await new Promise<CheckpointResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, mode });
    });
    // A TRUNCATE ends a pass: the worker (its isolate ~9 MB) would otherwise idle on into the
    // next index's pass, whose own worker starts at once (the mixed build's peak, branch mixedrss32).
    if (mode === 'TRUNCATE' && this.worker === worker && this.waiting.size === 0) await this.stop();
    return result;
  }

  private start(): Worker {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker !== null) return this.worker;
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.path, module } });
    this.worker = worker;
    worker.unref();
    worker.on('message', (m: { id: number; error?: string } & CheckpointResult) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error === undefined) w?.resolve({ log: m.log, checkpointed: m.checkpointed });
      else w?.reject(Object.assign(new Error(`checkpoint failed: ${m.error}`), { code: m.error }));
      if (this.waiting.size === 0) this.idleLater();
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => {
      if (this.worker === worker) this.fail(new Error('the checkpoint worker exited'));
    });
    return worker;
  }

  private idleLater(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.waiting.size === 0) void this.stop();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Ends the worker (its connection closed first); the next large WAL starts another. */
  private async stop(): Promise<void> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    if (worker === null) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ id: -1, mode: 'close' });
    await exited;
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.worker = null;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.options.fallback();
  }

  async close(): Promise<void> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.failed) return;
    this.failed = true;
    for (const w of this.waiting.values()) w.reject(new Error('the index closed'));
    this.waiting.clear();
    await this.stop();
  }
}
