import { setImmediate as nextTurn } from 'node:timers/promises';
import type { WriteOp } from './store.js';

/**
 * How much one write transaction carries, in characters of text (search documents) plus a fixed
 * share per operation and per usage response. A write is synchronous on the event loop (SQLite),
 * and its time grows with the text FTS5 indexes: on the bench machine a write of 16 files (up to
 * 1 MiB of text) held the loop for 30 ms at the median and up to 400 ms. 64 KiB keeps a slice to a
 * few ms while its fixed cost per transaction stays small (docs/index.md, "The first build").
 */
export const SLICE_WEIGHT = 64 * 1024;
const OP_WEIGHT = 512;
const RESPONSE_WEIGHT = 256;

/** What an operation costs a write, in SLICE_WEIGHT's units. */
export function opWeight(op: WriteOp): number {
  if (op.kind !== 'content') return OP_WEIGHT;
  return OP_WEIGHT + op.responses.length * RESPONSE_WEIGHT + op.docs.reduce((n, d) => n + d.text.length, 0);
}

/**
 * Writes to the index gathered from several files and committed together: FTS5 pays a fixed
 * cost per transaction, and one transaction per file made the first build about twice as slow.
 * A writer that holds much (a large file's documents) flushes early; every queued write is a
 * consistent step on its own (documents with the checkpoint that covers them), so a flush
 * commits in slices of at most SLICE_WEIGHT and gives the event loop a turn between two slices:
 * requests are answered while the first build writes gigabytes.
 */
export class WriteBatch {
  private ops: WriteOp[] = [];
  /** The flushes under way, in order; never rejects (each flush reports its own failure). */
  private tail: Promise<void> = Promise.resolve();
  /** Turns of the event loop given before slices (tests observe the slicing through it). */
  yields = 0;

  /**
   * `write` commits a list of operations, all or none (StoreIndex.writeOps: it waits out a busy
   * store). Without `giveWay`, a turn of the event loop goes between two slices; with it (a
   * background pass: give-way.ts), `giveWay` goes before every slice, a flush's first too, so that
   * requests under way go first. A batch written for a request must not wait for requests.
   */
  constructor(
    private readonly write: (ops: WriteOp[]) => Promise<void>,
    private readonly giveWay?: () => Promise<unknown>,
  ) {}

  add(op: WriteOp): void {
    this.ops.push(op);
  }

  /**
   * Commits what is queued, after every flush called before it; resolves once all of it is
   * committed (what is added meanwhile goes to the next). Two flushes never interleave: a
   * file's later content (compare-and-set on its offset) is never written before its earlier.
   */
  flush(): Promise<void> {
    const ops = this.ops;
    this.ops = [];
    const run = this.tail.then(() => this.commit(ops));
    this.tail = run.catch(() => {});
    return run;
  }

  private async commit(ops: WriteOp[]): Promise<void> {
    let slice: WriteOp[] = [];
    let weight = 0;
    let first = true;
    const send = async () => {
      if (this.giveWay !== undefined) {
        this.yields++;
        await this.giveWay();
      } else if (!first) {
        this.yields++;
        await nextTurn();
      }
      first = false;
      const sending = slice;
      [slice, weight] = [[], 0];
      await this.write(sending);
    };
    for (const op of ops) {
      const w = opWeight(op);
      if (slice.length > 0 && weight + w > SLICE_WEIGHT) await send();
      slice.push(op);
      weight += w;
    }
    if (slice.length > 0) await send();
  }
}
