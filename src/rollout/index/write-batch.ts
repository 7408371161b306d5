import type { IndexDb } from './sqlite-store.js';

/**
 * Writes to the index gathered from several files and committed together: FTS5 pays a fixed
 * cost per transaction, and one transaction per file made the first build about twice as slow.
 * A writer that holds much (a large file's documents) flushes early; every queued write is a
 * consistent step on its own (documents with the checkpoint that covers them).
 */
export class WriteBatch {
  private ops: (() => void)[] = [];
  constructor(private readonly db: IndexDb) {}

  add(op: () => void): void {
    this.ops.push(op);
  }

  /** Commits what is queued, in one transaction. */
  flush(): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.db.transaction(() => ops.forEach((op) => op()));
  }
}
