import { stat } from 'node:fs/promises';
import { MTIME_MAX_MS, MTIME_MIN_MS, wholeMtimeMs } from '../files/file-stamp.js';
import type { DateBounds, SessionWalker } from '../sources/source.js';
import type { ArchivedFilter, RolloutFile, SortOrder } from '../types.js';
import { positionCompare } from './cursor.js';
import type { SessionFilter } from './filters.js';
import type { Candidate, CandidateSource, PageShape } from './page-loop.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** `YYYY-MM-DD`, or no bound past the four-digit years (`+010000-01-01` would sort before every directory). */
const dateOf = (ms: number) => (ms < MTIME_MIN_MS || ms > MTIME_MAX_MS ? undefined : new Date(ms).toISOString().slice(0, 10));

/**
 * Day directories that can hold sessions created between `since` and `until`. A file name's
 * time is the writer's local time, up to 14 hours from UTC either way, so the bounds are
 * widened by a day on each side; the page loop applies the exact bounds.
 */
function dayBounds({ sinceMs, untilMs }: SessionFilter): DateBounds {
  return {
    min: sinceMs === undefined ? undefined : dateOf(sinceMs - DAY_MS),
    max: untilMs === undefined ? undefined : dateOf(untilMs + DAY_MS),
  };
}

async function* atCreation(files: AsyncIterable<RolloutFile>): AsyncGenerator<Candidate> {
  for await (const file of files) yield { file, position: { key: file.key, mtimeMs: 0 } };
}

/**
 * Candidates straight from the tree walk, for sort=created: the walk starts at the cursor's day
 * and stops when the page is full, so a page costs O(page), not O(tree).
 */
export function walkSource(
  walker: SessionWalker,
  shape: PageShape,
  filter: SessionFilter,
  archived: ArchivedFilter,
  maxScanFiles: number,
): CandidateSource {
  const files = walker.walk(archived, shape.order, shape.after?.key, dayBounds(filter));
  return { candidates: atCreation(files), trusted: false, maxExamined: maxScanFiles };
}

/** Every file of the chosen roots in sort=updated order: without an index, that stats the whole tree. */
export async function byUpdateSource(
  walker: SessionWalker,
  archived: ArchivedFilter,
  order: SortOrder,
  maxScanFiles: number,
): Promise<CandidateSource> {
  const files: RolloutFile[] = [];
  for await (const file of walker.walk(archived, order)) files.push(file);
  const candidates: Candidate[] = [];
  for (let i = 0; i < files.length; i += 64) {
    const chunk = files.slice(i, i + 64);
    const stats = await Promise.all(chunk.map((f) => stat(f.absPath).catch(() => null)));
    chunk.forEach((file, j) => {
      const st = stats[j];
      if (st) candidates.push({ file, position: { key: file.key, mtimeMs: wholeMtimeMs(st.mtimeMs) } });
    });
  }
  const sign = order === 'desc' ? -1 : 1;
  candidates.sort((a, b) => sign * positionCompare(a.position, b.position, 'updated'));
  // Every file was listed and stat'ed to put them in update order: all count as scanned.
  return { candidates, trusted: false, maxExamined: maxScanFiles, scannedFiles: candidates.length };
}
