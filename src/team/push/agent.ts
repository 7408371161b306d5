import { basename } from 'node:path';
import { MAX_BATCH_FILES } from '../ingest/batch.js';
import type { PushedFile } from '../ingest/file-store.js';
import { MAX_PUSH_BYTES } from '../ingest/limits.js';
import { NAMES_FILE, holdingsDigest } from '../ingest/layout.js';
import type { PushClient } from './client.js';
import { extendsHeld, readAt, scanHome, type LocalFile } from './local-tree.js';
import type { PassResult, Progress } from './progress.js';

/** Requests in flight at once: enough to hide the round trips, few enough to keep memory at a few pieces. */
const CONCURRENCY = 4;
/** Files compared with the server's fingerprints at once (small reads). */
const VERIFY_CONCURRENCY = 16;
/** A file with at most this much to send goes in a batch with others; more goes alone, in pieces. */
const BATCH_PIECE_MAX = 1024 * 1024;

/** What one file needs: its bytes from `from` to the length seen at the scan, replacing what is held or not. */
interface Transfer {
  file: LocalFile;
  from: number;
  replace: boolean;
}

/**
 * Runs `work` on every item, `width` at a time. A failure stops the taking of new items and is
 * thrown once the items in flight have settled: the next pass must not start while requests of
 * this one are still landing (it would list the server midway and dispute their offsets).
 */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      try {
        await work(items[next++] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

/**
 * One machine's push: each pass compares the home with what the server holds and sends the
 * difference. The server is the only state (nothing is kept on disk): a pass killed at any
 * point is finished by the next one, which sends only bytes past the server's lengths.
 */
export class PushAgent {
  /** What the server holds, as last seen; refreshed by listing when a pass found it stale. */
  private held: Map<string, PushedFile> | null = null;
  /** Length and mtime of each local file when it was last found to match the server (watch mode skips those). */
  private verified = new Map<string, { size: number; mtimeMs: number }>();

  constructor(
    private readonly home: string,
    private readonly client: PushClient,
    private readonly progress: Progress,
  ) {}

  /**
   * What the last pass did, also when it failed midway: `push --once` sums its passes, and a pass
   * after a lost answer finds sent what the failed one sent (it said "0 files sent" alone).
   */
  lastPass: PassResult | null = null;
  /**
   * Files whose request failed without an answer (a connection reset): whether they landed is
   * unknown, and the next pass finds out. Found held whole, they count as sent (by this run).
   */
  private readonly inDoubt = new Map<string, { size: number; bytes: number }>();

  async pass(): Promise<PassResult> {
    const result: PassResult = { files: 0, bytes: 0, replaced: 0, moved: 0, deleted: 0, disputed: 0 };
    this.lastPass = result;
    // The first pass asks for the digest of what is held before the listing: equal to the home's, nothing changed.
    const digest = this.held === null && this.verified.size === 0 ? this.client.digest() : null;
    // The home is scanned while the server answers (its request is on the way before the scan blocks).
    await new Promise((resolve) => setImmediate(resolve));
    const local = scanHome(this.home);
    if (this.held === null && (await this.inSync(local, digest))) {
      this.progress.start(local.size);
      for (const file of local.values()) this.landed(file, result);
      this.progress.end(result);
      return result;
    }
    const held = await (this.held ?? this.client.held());
    this.held = held;
    await this.moveAndDelete(local, held, result);
    const work = [...local.values()].filter((file) => {
      const seen = this.verified.get(file.path);
      return seen === undefined || seen.size !== file.size || seen.mtimeMs !== file.mtimeMs || !held.has(file.path);
    });
    this.progress.start(work.length);
    const transfers: Transfer[] = [];
    await inParallel(work, VERIFY_CONCURRENCY, async (file) => {
      const transfer = await this.plan(file, held.get(file.path), result);
      if (transfer !== null) return void transfers.push(transfer);
      this.landed(file, result);
      this.verified.set(file.path, { size: file.size, mtimeMs: file.mtimeMs });
      this.progress.fileDone();
    });
    const jobs: (() => Promise<void>)[] = [];
    let batch: Transfer[] = [];
    let batchBytes = 0;
    for (const transfer of transfers.sort((a, b) => (a.file.path < b.file.path ? -1 : 1))) {
      const length = transfer.file.size - transfer.from;
      if (length > BATCH_PIECE_MAX) {
        jobs.push(() => this.sendAlone(transfer, held, result));
        continue;
      }
      if (batch.length === MAX_BATCH_FILES || batchBytes + length > MAX_PUSH_BYTES) {
        const full = batch;
        jobs.push(() => this.sendBatch(full, held, result));
        batch = [];
        batchBytes = 0;
      }
      batch.push(transfer);
      batchBytes += length;
    }
    if (batch.length > 0) jobs.push(() => this.sendBatch(batch, held, result));
    await inParallel(jobs, CONCURRENCY, (job) => job());
    this.progress.end(result);
    if (result.disputed > 0) this.held = null;
    return result;
  }

  /** A pass failed midway (a request's fate unknown): the next lists what the server holds again. */
  relist(): void {
    this.held = null;
  }

  /**
   * Whether the home is as the server holds it, without the listing: by the digest on a first
   * pass (every file then counts as verified), and afterwards by the verified lengths and times
   * (no request). The listing is what a pass needs otherwise (fingerprints, moves, deletions).
   */
  private async inSync(local: Map<string, LocalFile>, digest: Promise<string | null> | null): Promise<boolean> {
    if (digest !== null) {
      const theirs = await digest;
      const mine = holdingsDigest([...local.values()].map((f) => ({ path: f.path, size: f.size, mtimeMs: Math.floor(f.mtimeMs) })));
      if (theirs !== mine) return false;
      for (const file of local.values()) this.verified.set(file.path, { size: file.size, mtimeMs: file.mtimeMs });
      return true;
    }
    if (local.size !== this.verified.size) return false;
    for (const file of local.values()) {
      const seen = this.verified.get(file.path);
      if (seen === undefined || seen.size !== file.size || seen.mtimeMs !== file.mtimeMs) return false;
    }
    return true;
  }

  /** Archive moves first (a held path gone locally whose name reappears elsewhere), then deletions. */
  private async moveAndDelete(local: Map<string, LocalFile>, held: Map<string, PushedFile>, result: PassResult): Promise<void> {
    const gone = [...held.keys()].filter((path) => !local.has(path));
    if (gone.length === 0) return;
    const arrivals = new Map<string, string>();
    for (const path of local.keys()) if (!held.has(path) && path !== NAMES_FILE) arrivals.set(basename(path), path);
    for (const path of gone) {
      const target = path === NAMES_FILE ? undefined : arrivals.get(basename(path));
      const file = held.get(path) as PushedFile;
      held.delete(path);
      this.verified.delete(path);
      if (target !== undefined) {
        await this.client.move(path, target);
        held.set(target, { ...file, path: target });
        arrivals.delete(basename(path));
        result.moved++;
        this.progress.note(`moved ${path} -> ${target}`);
      } else {
        await this.client.remove(path);
        result.deleted++;
        this.progress.note(`deleted ${path} (gone from the home)`);
      }
    }
  }

  /** What a file needs, or null when the server holds all of it already. */
  private async plan(file: LocalFile, server: PushedFile | undefined, result: PassResult): Promise<Transfer | null> {
    if (server === undefined) return { file, from: 0, replace: false };
    // Same length and modification time as when it was sent: unchanged, without reading it. Any
    // other change (a length or a time) gets the content comparison below.
    if (server.size === file.size && server.mtimeMs === Math.floor(file.mtimeMs)) return null;
    if (file.size < server.size || !(await extendsHeld(this.home, file.path, server))) {
      result.replaced++; // rewritten, not appended: the server's copy is replaced whole
      return { file, from: 0, replace: true };
    }
    return server.size >= file.size ? null : { file, from: server.size, replace: false };
  }

  /** A file found held whole: sent by a request of an earlier pass that failed without its answer. */
  private landed(file: LocalFile, result: PassResult): void {
    const doubt = this.inDoubt.get(file.path);
    if (doubt === undefined) return;
    this.inDoubt.delete(file.path);
    if (doubt.size !== file.size) return;
    result.files++;
    result.bytes += doubt.bytes;
  }

  private sent(transfer: Transfer, bytes: number, result: PassResult): void {
    this.inDoubt.delete(transfer.file.path);
    result.files++;
    result.bytes += bytes;
    this.verified.set(transfer.file.path, { size: transfer.file.size, mtimeMs: transfer.file.mtimeMs });
    this.progress.fileDone();
  }

  /** Small files together: one request and one commit for up to MAX_BATCH_FILES of them. */
  private async sendBatch(batch: Transfer[], held: Map<string, PushedFile>, result: PassResult): Promise<void> {
    const pieces = await Promise.all(batch.map((t) => readAt(this.home, t.file.path, t.from, t.file.size - t.from)));
    const entries = batch.map((t, i) => ({
      path: t.file.path,
      offset: t.from,
      length: (pieces[i] as Buffer).length,
      replace: t.replace,
      mtime: Math.floor(t.file.mtimeMs),
    }));
    batch.forEach((t, i) => this.inDoubt.set(t.file.path, { size: t.file.size, bytes: (pieces[i] as Buffer).length }));
    const answer = await this.client.batch(entries, pieces);
    if (!answer.ok) {
      for (const t of batch) this.inDoubt.delete(t.file.path);
      result.disputed += batch.length;
      return;
    }
    for (const file of answer.files) held.set(file.path, file);
    batch.forEach((t, i) => this.sent(t, (pieces[i] as Buffer).length, result));
    this.progress.bytesSent(pieces.reduce((n, p) => n + p.length, 0));
  }

  /** A large file alone, in pieces of MAX_PUSH_BYTES. */
  private async sendAlone(transfer: Transfer, held: Map<string, PushedFile>, result: PassResult): Promise<void> {
    const { file } = transfer;
    let offset = transfer.from;
    let first = transfer.replace;
    do {
      const data = await readAt(this.home, file.path, offset, Math.min(MAX_PUSH_BYTES, Math.max(0, file.size - offset)));
      // As a batch's files: a piece whose answer is lost may have landed (the next pass finds out).
      this.inDoubt.set(file.path, { size: file.size, bytes: offset + data.length - transfer.from });
      const answer = await this.client.append(file.path, offset, data, first, Math.floor(file.mtimeMs));
      if (!answer.ok) {
        this.inDoubt.delete(file.path);
        result.disputed++;
        return;
      }
      held.set(file.path, answer.file);
      first = false;
      offset += data.length;
      this.progress.bytesSent(data.length);
      if (data.length === 0) break; // shrunk since the scan: the next pass looks again
    } while (offset < file.size);
    this.sent(transfer, offset - transfer.from, result);
  }
}
