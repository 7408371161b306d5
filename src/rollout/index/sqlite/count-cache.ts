import { WeightedLru } from '../../lru.js';
import type { CountQuery, WriteOp } from '../store.js';

/**
 * The counts of list pages (`total`), by filter set, while the rows they read stay as they were.
 * A count reads every matching row (about 100 ms of CPU on 100,000 sessions, docs/performance.md
 * row 1t), and a first page is built again on every change of the tree: a session being written
 * changes the tree many times a second without changing any count. So a count is kept until
 * this store writes a row's summary (`entry`), removes one or completes a pass, or another
 * connection commits (SQLite's data_version). An append (`grew`) moves only the file's stamp,
 * which only a `sort=updated` count with a date range reads: those are not kept.
 */
export class CountCache {
  private generation = 0;
  private readonly counts = new WeightedLru<string, number>({ maxWeight: 256, maxEntries: 256 });
  /** Counts answered from the cache (for tests). */
  hits = 0;
  /** The index's row count (/readyz shows it, and asked for it every second), with the key it was read at. */
  private rows: { key: string; n: number } | null = null;

  /** A write of this connection: a change of what counts read drops every kept count. */
  wrote(ops: readonly WriteOp[]): void {
    if (ops.some((op) => op.kind !== 'grew' && op.kind !== 'content')) this.generation += 1;
  }

  /** The count of `q` from the cache, or `count()` kept. `dataVersion`: SQLite's data_version of the connection. */
  get(q: CountQuery, dataVersion: number, count: () => number): number {
    if (q.sort === 'updated' && (q.filter.sinceMs !== undefined || q.filter.untilMs !== undefined)) return count();
    const key = JSON.stringify([this.generation, dataVersion, q.archived, q.includeEmpty, q.filter, q.nameMatchIds]);
    const kept = this.counts.get(key);
    if (kept !== undefined) {
      this.hits += 1;
      return kept;
    }
    const n = count();
    this.counts.set(key, n, 1);
    return n;
  }

  /** The number of the index's rows (`count()`), kept as the list's counts are. */
  rowCount(dataVersion: number, count: () => number): number {
    const key = `${this.generation}:${dataVersion}`;
    if (this.rows?.key === key) this.hits += 1;
    else this.rows = { key, n: count() };
    return this.rows.n;
  }
}
