import type { WriteOp } from './store.js';

/**
 * Writes to the index gathered from several files and committed together: FTS5 pays a fixed
 * cost per transaction, and one transaction per file made the first build about twice as slow.
 * A writer that holds much (a large file's documents) flushes early; every queued write is a
 * consistent step on its own (documents with the checkpoint that covers them).
 */
export class WriteBatch {
  private ops: WriteOp[] = [];
  /** `write` commits a list of operations, all or none (StoreIndex.writeOps: it waits out a busy store). */
  constructor(private readonly write: (ops: WriteOp[]) => Promise<void>) {}

  add(op: WriteOp): void {
    this.ops.push(op);
  }

  /** Commits what is queued, in one write; what is added meanwhile goes to the next. */
  async flush(): Promise<void> {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    await this.write(ops);
  }
}
