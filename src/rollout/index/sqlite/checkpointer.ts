import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A checkpoint is asked for at most this often while writes go on. */
const EVERY_MS = 250;

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

/**
 * Copies the WAL into the database file on a worker thread. SQLite's automatic checkpoint runs
 * inside the COMMIT of whichever write crosses 1000 pages: on the main thread, with an fsync,
 * it was half the time the first build held the event loop (docs/index.md, "The first build").
 * The writing connection turns it off (`wal_autocheckpoint = 0`) once this worker runs; a
 * PASSIVE checkpoint never blocks the writer or the readers. Should the worker fail, the
 * writing connection checkpoints by itself again (`fallback`).
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private inFlight = false;
  private lastAsked = 0;
  private failed = false;

  constructor(path: string, private readonly fallback: () => void) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, module } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string } & CheckpointResult) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error === undefined) w?.resolve({ log: m.log, checkpointed: m.checkpointed });
      else w?.reject(Object.assign(new Error(`checkpoint failed: ${m.error}`), { code: m.error }));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the checkpoint worker exited')));
  }

  /** After a write: asks for a PASSIVE checkpoint unless one runs or one was asked for very recently. */
  wrote(): void {
    if (this.failed || this.inFlight || Date.now() - this.lastAsked < EVERY_MS) return;
    this.inFlight = true;
    this.lastAsked = Date.now();
    void this.run('PASSIVE')
      .catch(() => {}) // a busy or failed checkpoint is taken again after the next write
      .finally(() => (this.inFlight = false));
  }

  /** A checkpoint of the given mode on the worker's connection. */
  run(mode: 'PASSIVE' | 'TRUNCATE'): Promise<CheckpointResult> {
    if (this.failed) return Promise.reject(new Error('the checkpoint worker is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, mode });
    });
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.fallback();
  }

  async close(): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    for (const w of this.waiting.values()) w.reject(new Error('the index closed'));
    this.waiting.clear();
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ id: -1, mode: 'close' });
    await exited;
  }
}
