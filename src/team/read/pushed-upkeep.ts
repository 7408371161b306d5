import type pg from 'pg';
import { updateFile } from '../../rollout/index/file-update.js';
import { PgBackend } from '../../rollout/index/postgres/backend.js';
import { FILE_COLUMNS } from '../../rollout/index/postgres/sql.js';
import { normalize, type PgStore } from '../../rollout/index/postgres/store.js';
import type { StoredFile, WriteOp } from '../../rollout/index/store.js';
import { WriteBatch } from '../../rollout/index/write-batch.js';
import type { ReadEnv } from '../../rollout/reading/session-reader.js';
import { ARCHIVED_DIR } from '../../rollout/sources/codex/tree-walk.js';
import { FILES_AT_ONCE } from '../../rollout/tuning.js';
import type { RolloutLogger } from '../../rollout/types.js';
import { ChunkSource, firstSlices } from './chunk-source.js';
import { PUSHED_PREFIX, pushedHome } from './home.js';
import { pushedAccess, pushedFile, type HeldFile } from './pushed-file.js';

/** The session advisory lock one catch-up holds, whichever instance runs it ("cs_i"). */
const UPKEEP_LOCK = 0x63735f69;
/** Stale files read per query (default). */
const PAGE = 500;
/**
 * A catch-up looks again at this many change numbers below where the last one ended: a push
 * takes its number before it commits, so one that commits late has a number below a later
 * push's. The join keeps only files whose row is stale, so looking again costs little; the
 * periodic full comparison covers a push slower than that.
 */
const RESCAN_SEQS = 1000;
const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_FULL_EVERY_MS = 60_000;
/** A stale file this large is read on its own, beside the groups of smaller ones (default). */
const LARGE_FILE = 8 * 1024 * 1024;
/** Delete operations per write. */
const DELETES_PER_WRITE = 256;

/** A stale pushed file: as cs_files holds it, with its index row (if any) and whether it was moved there. */
interface StaleFile extends HeldFile {
  seq: number;
  row: StoredFile | undefined;
  moved: boolean;
}

export interface PushedUpkeepOptions {
  pool: pg.Pool;
  /** What a read needs (the memory budget; `realRoot` is unused: nothing is read from disk). */
  env: () => Promise<ReadEnv>;
  log: RolloutLogger;
  /** A catch-up runs this often (default 1 s), besides each nudge. */
  intervalMs?: number;
  /** Every pushed file is compared with the index, and deletions found, this often (default 60 s). */
  fullEveryMs?: number;
  /** Stale files read per query (default 500; tests use a few). */
  pageSize?: number;
  /** A file this large is read on its own, beside the groups (default 8 MiB; tests use less). */
  largeFileBytes?: number;
}

/**
 * The index of pushed homes (docs/team.md, "Indexing pushed files"): a background catch-up, run
 * by any instance but by one at a time (a session advisory lock, released with its connection
 * if the instance dies), brings the index rows of every pushed file up to date with cs_files by
 * the staleness rule of local files: the file-update of the local upkeep over the file's bytes
 * in cs_chunks. An append is read from the indexed offset, a replacement (generation bumped)
 * from the start, an archive move is a move, and a file deleted loses its row at the next full
 * comparison (a deletion leaves no change number; the instance that served it nudges at once).
 */
export class PushedUpkeep {
  /** The change number the last catch-up saw; null until a full comparison has run here. */
  private cursor: number | null = null;
  private lastFullAt = 0;
  private running: Promise<boolean> | null = null;
  private queued: Promise<boolean> | null = null;
  private wantFull = false;
  private wantWait = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly backend: PgBackend;
  private readonly stores = new Map<string, Promise<PgStore>>();
  /** Files indexed (or found gone) since start; tests and the log read it. */
  updated = 0;

  constructor(private readonly options: PushedUpkeepOptions) {
    this.backend = new PgBackend(options.pool);
  }

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.timer.unref();
    this.nudge();
  }

  /** A push committed (or a file was deleted) on this instance: catch up now rather than at the next tick. */
  nudge(): void {
    void this.run().catch((err: unknown) => this.options.log.warn({ err }, 'indexing pushed files failed; the next catch-up retries'));
  }

  /**
   * One catch-up after the one under way, if any (callers meanwhile share the next one); `full`:
   * compare every pushed file and drop the rows of deleted ones; `wait`: wait for the lock while
   * another instance holds it (tests, and work that must be done now). False when another
   * instance holds the lock and `wait` is not given (that one does the work).
   */
  run(full = false, wait = false): Promise<boolean> {
    this.wantFull ||= full;
    this.wantWait ||= wait;
    if (this.running === null) return this.startRun();
    this.queued ??= this.running.catch(() => false).then(() => {
      this.queued = null;
      return this.startRun();
    });
    return this.queued;
  }

  private startRun(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const [full, wait] = [this.wantFull, this.wantWait];
    [this.wantFull, this.wantWait] = [false, false];
    const run = this.locked(full, wait).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async locked(full: boolean, wait: boolean): Promise<boolean> {
    const client = await this.options.pool.connect();
    let failed = false;
    try {
      const take = wait ? 'SELECT true AS ok FROM pg_advisory_lock($1)' : 'SELECT pg_try_advisory_lock($1) AS ok';
      const { rows } = await client.query<{ ok: boolean }>(take, [UPKEEP_LOCK]);
      if (rows[0]?.ok !== true) return false;
      try {
        const due = Date.now() - this.lastFullAt >= (this.options.fullEveryMs ?? DEFAULT_FULL_EVERY_MS);
        await this.catchUp(full || this.cursor === null || due);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [UPKEEP_LOCK]);
      }
      return true;
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // A connection that failed (its lock included) is closed, not given back: PostgreSQL then drops the lock.
      client.release(failed);
    }
  }

  private async catchUp(full: boolean): Promise<void> {
    const { pool } = this.options;
    const page = this.options.pageSize ?? PAGE;
    const largeBytes = this.options.largeFileBytes ?? LARGE_FILE;
    const startedAt = Date.now();
    const { rows: top } = await pool.query<{ seq: number }>('SELECT coalesce(max(change_seq), 0)::float8 AS seq FROM cs_files');
    let after = full || this.cursor === null ? 0 : Math.max(0, this.cursor - RESCAN_SEQS);
    // One group's writes are committed while the next group is read (reads and writes overlap).
    let writing: Promise<void> = Promise.resolve();
    // Large files are read one at a time beside the groups: a group waits for its slowest file,
    // and one 200 MB session held every other file of a first push for minutes.
    let large: Promise<void> = Promise.resolve();
    /** The length each large file was queued at in this run. */
    const queued = new Map<string, number>();
    const queueLarge = (files: readonly StaleFile[]) => {
      for (const f of files) {
        if ((queued.get(f.id) ?? -1) >= f.size) continue;
        queued.set(f.id, f.size);
        large = large.then(async () => {
          if (this.closed) return;
          // Looked up again when its turn comes: queued twice (it grew), the first read may have indexed it.
          const [now] = await this.staleFiles(0, { id: f.id });
          if (now !== undefined && !this.closed) await (await this.readGroup([now]))();
        });
        large.catch(() => {}); // awaited below
      }
    };
    try {
      for (;;) {
        // The large files ahead of the pages are started now, not when their page comes: the 200 MB
        // session of a first push was reached after the 10,000 others and then read alone for 20 s.
        queueLarge(await this.staleFiles(after, { largeBytes }));
        const stale = await this.staleFiles(after, { limit: page });
        queueLarge(stale.filter((f) => f.size >= largeBytes));
        const small = stale.filter((f) => f.size < largeBytes);
        for (let i = 0; i < small.length && !this.closed; i += FILES_AT_ONCE) {
          const read = await this.readGroup(small.slice(i, i + FILES_AT_ONCE));
          const previous = writing;
          writing = previous.then(read);
          writing.catch(() => {}); // awaited below or at the next group
          await previous;
        }
        if (stale.length < page || this.closed) break;
        after = stale[stale.length - 1]!.seq;
      }
    } finally {
      await Promise.all([writing.catch(() => {}), large.catch(() => {})]);
    }
    await writing;
    await large;
    if (this.closed) return;
    if (full) {
      await this.dropDeleted();
      await this.markComplete();
      this.lastFullAt = startedAt;
    }
    this.cursor = Math.max(this.cursor ?? 0, top[0]!.seq);
  }

  /**
   * Pushed files changed after change number `after` whose index row is not current: missing, of
   * another file or generation (replaced), of another size or mtime, or with content not indexed
   * to the end. The same staleness rule as identity.ts isCurrent, in SQL, so that a full
   * comparison of 100,000 current files reads nothing else. Each comes with its index row, and
   * whether a row of that file is at another path (an archive move, taken as a move).
   */
  private async staleFiles(after: number, which: { limit: number } | { largeBytes: number } | { id: string }): Promise<StaleFile[]> {
    type Found = { heldId: string; machine: string; path: string; heldSize: number; heldMtimeMs: number | null; generation: number };
    const [name, only, value] =
      'limit' in which
        ? ['cs-pushed-stale-rows', '', which.limit]
        : 'largeBytes' in which
          ? ['cs-pushed-stale-large', 'AND f.size >= $2', which.largeBytes]
          : ['cs-pushed-stale-one', 'AND f.id = $2', which.id];
    const { rows } = await this.options.pool.query<Found & { seq: number; relPath: string | null }>({
      name,
      text: `
        SELECT f.id::text AS "heldId", f.machine, f.path, f.size::float8 AS "heldSize", f.mtime_ms::float8 AS "heldMtimeMs",
               f.generation, f.change_seq::float8 AS seq, ${FILE_COLUMNS}
          FROM cs_files f
          LEFT JOIN cs_index_files s ON s.home = '${PUSHED_PREFIX}' || f.machine AND s.rel_path = f.path
         WHERE f.change_seq > $1 AND f.path LIKE '%/rollout-%' ${only}
           AND (s.rel_path IS NULL OR s.ino <> f.id OR s.dev <> f.generation OR s.size <> f.size
                OR s.mtime_exact <> coalesce(f.mtime_ms, 0) OR s.ctime_exact <> 0 OR (s.is_session AND s.content_size <> f.size))
         ORDER BY f.change_seq LIMIT ${only === '' ? '$2' : PAGE}`,
      values: [after, value],
    });
    const held = rows.map((r) => ({
      id: r.heldId,
      machine: r.machine,
      path: r.path,
      size: r.heldSize,
      mtimeMs: r.heldMtimeMs,
      generation: r.generation,
      seq: r.seq,
      row: r.relPath === null ? undefined : normalize(r),
    }));
    const moved = await this.movedFiles(held.filter((f) => f.row === undefined));
    return held.map((f) => ({ ...f, moved: moved.has(f.id) }));
  }

  /** Which of these files (none indexed at its path) have a row at another path of their machine's home: they were moved. */
  private async movedFiles(files: readonly HeldFile[]): Promise<Set<string>> {
    const found = new Set<string>();
    const byMachine = new Map<string, number[]>();
    for (const f of files) byMachine.set(f.machine, [...(byMachine.get(f.machine) ?? []), Number(f.id)]);
    for (const [machine, inos] of byMachine) {
      // One scan of the home's rows per page of stale files (no index on ino: a move is rare), not one per file.
      const { rows } = await this.options.pool.query<{ ino: number }>({
        name: 'cs-pushed-moved',
        text: 'SELECT DISTINCT ino FROM cs_index_files WHERE home = $1 AND ino = ANY($2::float8[])',
        values: [pushedHome(machine), inos],
      });
      for (const { ino } of rows) found.add(String(ino));
    }
    return found;
  }

  private storeOf(machine: string): Promise<PgStore> {
    const home = pushedHome(machine);
    let store = this.stores.get(home);
    if (store === undefined) {
      store = this.backend.open(home, false).then((opened) => {
        // The index is derived from cs_files and cs_chunks: a commit lost in a crash of the
        // database is found stale again (by the next full comparison at the latest).
        opened.lazyCommit = true;
        return opened;
      });
      this.stores.set(home, store);
      store.catch(() => this.stores.delete(home));
    }
    return store;
  }

  /**
   * Reads a group of stale files (their first slices in one query) into one write batch per
   * machine; returns the commit of what they found, for the caller to run after the previous
   * group's. A file that cannot be read is logged and left to the next full comparison.
   */
  private async readGroup(group: readonly StaleFile[]): Promise<() => Promise<void>> {
    const { pool, log } = this.options;
    const slices = await firstSlices(pool, group);
    const batches = new Map<string, { store: PgStore; batch: WriteBatch; files: number }>();
    const batchOf = async (machine: string) => {
      let entry = batches.get(machine);
      if (entry === undefined) {
        const store = await this.storeOf(machine);
        entry = batches.get(machine) ?? { store, batch: new WriteBatch(async (ops) => void (await store.write(ops))), files: 0 };
        batches.set(machine, entry);
      }
      return entry;
    };
    const results = await Promise.allSettled(
      group.map(async (held) => {
        const entry = await batchOf(held.machine);
        if (await this.update(held, entry.store, entry.batch, slices.get(held.id))) entry.files++;
      }),
    );
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') continue;
      if (this.backend.classify(r.reason) !== null) throw r.reason; // the database's trouble: the catch-up fails and is retried whole
      const { machine, path } = group[i]!;
      log.debug({ machine, path, err: r.reason }, 'indexing a pushed file failed; the next full comparison retries it');
    }
    return async () => {
      for (const { batch, files } of batches.values()) {
        await batch.flush();
        this.updated += files;
      }
    };
  }

  /** Brings one pushed file's row up to date in `batch`; false when the path is not a session file's. */
  private async update(held: StaleFile, store: PgStore, batch: WriteBatch, first: Buffer | undefined): Promise<boolean> {
    const file = pushedFile(held.machine, held.path);
    if (file === null) return false;
    const { pool, env, log } = this.options;
    let row = held.row;
    const archived = held.path.startsWith(`${ARCHIVED_DIR}/`);
    if (held.moved && (await store.move(Number(held.id), held.path, archived))) row = await store.get(held.path);
    const source = new ChunkSource(pool, held.id, held.size, held.generation);
    if (first !== undefined && first.length > 0) source.prime(first);
    await updateFile(row, batch, file, {
      env,
      log,
      current: () => !this.closed,
      access: pushedAccess(held, file, source, env, log),
      responseKeys: (relPath) => store.responseKeys(relPath),
    });
    return true;
  }

  /**
   * A file was deleted on this instance: its row goes now, not at the next full comparison (which
   * still covers an instance that stopped in between, or a catch-up that wrote the row again).
   */
  async forget(machine: string, path: string): Promise<void> {
    const { rowCount } = await this.options.pool.query({
      name: 'cs-pushed-held',
      text: 'SELECT 1 FROM cs_files WHERE machine = $1 AND path = $2',
      values: [machine, path],
    });
    if ((rowCount ?? 0) > 0 || this.closed) return;
    await (await this.storeOf(machine)).write([{ kind: 'delete', relPath: path }]);
  }

  /** Rows of pushed files no longer held (deleted; a moved file's old row was moved already). */
  private async dropDeleted(): Promise<void> {
    const { rows } = await this.options.pool.query<{ home: string; p: string }>({
      name: 'cs-pushed-deleted',
      text: `
        SELECT i.home, i.rel_path AS p FROM cs_index_files i
         WHERE i.home LIKE '${PUSHED_PREFIX}%'
           AND NOT EXISTS (SELECT 1 FROM cs_files f WHERE f.machine = substr(i.home, ${PUSHED_PREFIX.length + 1}) AND f.path = i.rel_path)
         ORDER BY i.home, i.rel_path`,
    });
    const byHome = new Map<string, WriteOp[]>();
    for (const { home, p } of rows) {
      const ops = byHome.get(home) ?? [];
      ops.push({ kind: 'delete', relPath: p });
      byHome.set(home, ops);
    }
    for (const [home, ops] of byHome) {
      const store = await this.storeOf(home.slice(PUSHED_PREFIX.length));
      for (let i = 0; i < ops.length; i += DELETES_PER_WRITE) await store.write(ops.slice(i, i + DELETES_PER_WRITE));
      this.updated += ops.length;
    }
  }

  /** Every machine's home is complete once a full comparison went through it. */
  private async markComplete(): Promise<void> {
    const { rows } = await this.options.pool.query<{ machine: string }>('SELECT DISTINCT machine FROM cs_files ORDER BY machine');
    for (const { machine } of rows) await (await this.storeOf(machine)).write([{ kind: 'complete' }]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.running?.catch(() => {});
    for (const store of this.stores.values()) await (await store.catch(() => null))?.close();
  }
}
