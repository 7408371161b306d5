import { wholeMtimeMs } from '../files/file-stamp.js';
import type { SessionWalker } from '../sources/source.js';
import type { Position } from '../listing/cursor.js';
import type { Candidate } from '../listing/page-loop.js';
import type { StoredFile } from './store.js';

/** Sessions a search page takes from the index at a time, after its first batch. */
const SEARCH_BATCH = 64;

/** The index's rows as page candidates: each file as the walk would name it, at its position, with the stamp it was indexed at. */
export function candidatesOf(walker: SessionWalker, rows: readonly StoredFile[]): Candidate[] {
  return rows.flatMap((row) => {
    const file = walker.fileAt(row.relPath);
    return file === null ? [] : [{ file, position: { key: row.key, mtimeMs: wholeMtimeMs(row.mtimeMs) }, stamp: row.stamp }];
  });
}

/**
 * Candidates taken from the index in batches as a page asks for them (many may turn out not to
 * match): the first batch is the page with its look-ahead (`first`), later ones larger.
 * `rowsAfter` gives the rows after a position, in page order.
 */
export async function* batchedCandidates(
  walker: SessionWalker,
  after: Position | undefined,
  first: number,
  rowsAfter: (after: Position | undefined, limit: number) => Promise<StoredFile[]>,
): AsyncGenerator<Candidate> {
  let limit = first;
  while (true) {
    const rows = await rowsAfter(after, limit);
    yield* candidatesOf(walker, rows);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < limit) return;
    after = { key: last.key, mtimeMs: last.mtimeMs };
    limit = Math.max(limit, SEARCH_BATCH);
  }
}
