import type { Stats } from 'node:fs';
import { sameFile, stampOf, statOrNull, type FileStamp } from '../files/file-stamp.js';
import type { RolloutFile, SortField, SortOrder } from '../types.js';
import { encodePosition, positionCompare, startPosition, type Position } from './cursor.js';
import { ReadAhead } from './read-ahead.js';
import { FILES_AT_ONCE } from '../tuning.js';

/** A file that may belong on a page, at its position in the page's order. */
export interface Candidate {
  file: RolloutFile;
  position: Position;
  /** What an index recorded of the file: a read that finds the file otherwise proves the record stale. */
  stamp?: FileStamp;
}

/** Where a page's candidates come from: the tree walk or an index. */
export interface CandidateSource {
  /** In page order; a walk may start before the cursor (those are skipped and counted). */
  candidates: AsyncIterable<Candidate> | Iterable<Candidate>;
  /**
   * Every candidate belongs on the page while its stamp holds (an index applied the page's
   * conditions exactly): a look-ahead needs only a stat, and a read that disagrees proves the
   * record stale. Otherwise each candidate is read and decided.
   */
  trusted: boolean;
  /** Candidates past the cursor one page may examine (the scan cap); Infinity for none. */
  maxExamined: number;
  /** Files the source looked at to order its candidates, when that is more than the page pulled. */
  scannedFiles?: number;
}

/** The order and size of a page. */
export interface PageShape {
  sort: SortField;
  order: SortOrder;
  limit: number;
  after: Position | undefined;
}

/**
 * Reads one candidate: the stat the read was based on and the page item, or a null item when
 * the file does not belong on the page; null when it cannot be read. `full` is false for the
 * look-ahead, which only has to decide (a list page then skips the head and tail records).
 * Rejects only when the answer would be wrong for reasons that are not the file's (a full
 * memory budget, no file descriptors left): the page fails with that error. `exhausted`: the
 * request's work budget is spent (search): the page ends before this candidate, as at the scan cap.
 */
export type Evaluate<I> = (candidate: Candidate, full: boolean) => Promise<{ stat: Stats; item: I | null } | null | 'exhausted'>;

/** The item as it joins the page (not a look-ahead), with the stat it was read at. */
export type Admit<I> = (item: I, file: RolloutFile, stat: Stats) => I;

export interface Page<I> {
  items: I[];
  nextCursor: string | null;
  numScannedFiles: number;
  reachedScanCap: boolean;
}

/** A page, or the candidate whose record proved stale (the caller refreshes it and asks again). */
export type PageOutcome<I> = { page: Page<I> } | { stale: RolloutFile };

type Entry = Candidate & { kind: 'skip' | 'cap' | 'read'; full?: boolean };

/** Marks candidates before the cursor, and stops after the first one past the scan cap. */
async function* classify(shape: PageShape, source: CandidateSource): AsyncGenerator<Entry> {
  const sign = shape.order === 'desc' ? -1 : 1;
  let examinable = 0;
  for await (const candidate of source.candidates) {
    if (shape.after !== undefined && sign * positionCompare(candidate.position, shape.after, shape.sort) <= 0) {
      yield { ...candidate, kind: 'skip' };
    } else if (examinable >= source.maxExamined) {
      yield { ...candidate, kind: 'cap' };
      return;
    } else {
      examinable += 1;
      yield { ...candidate, kind: 'read' };
    }
  }
}

/**
 * The one page loop, for list and search pages alike. Takes candidates in order until the page
 * is full and one more qualifying session proves that more follow (so `nextCursor` is exact).
 *
 * The reads of the next candidates run concurrently (as many as could still join the page,
 * plus the look-ahead, at most FILES_AT_ONCE), but their results are taken strictly in
 * order with the decisions of a one-by-one read: the same items, counts and cursor. A read
 * started for the page and then taken as the look-ahead is used only for whether the session
 * qualifies, which does not depend on `full`; if it failed, the look-ahead read is made again
 * so that a failure of the head or tail alone cannot change the answer.
 */
export async function collectPage<I>(
  shape: PageShape,
  source: CandidateSource,
  evaluate: Evaluate<I>,
  admit: Admit<I> = (item) => item,
): Promise<PageOutcome<I>> {
  const items: I[] = [];
  let numScannedFiles = 0;
  let lastExamined: Position | undefined;
  let lastItem: Position | undefined;
  let more = false;
  let reachedScanCap = false;
  const ahead = new ReadAhead<Entry, Awaited<ReturnType<Evaluate<I>>>>(classify(shape, source), (e) => e.kind === 'read');
  const start = (entry: Entry) => {
    entry.full = items.length < shape.limit;
    return evaluate(entry, entry.full);
  };
  try {
    while (true) {
      // A trusted look-ahead is only stat'ed; any other is read to see whether it qualifies.
      const window = Math.min(FILES_AT_ONCE, shape.limit - items.length + (source.trusted ? 0 : 1));
      const next = await ahead.next(window, start);
      if (next === undefined) break;
      const { item: entry, task } = next;
      numScannedFiles += 1;
      if (entry.kind === 'skip') continue;
      if (entry.kind === 'cap') {
        reachedScanCap = true;
        more = true;
        break;
      }
      const examinedBefore = lastExamined;
      lastExamined = entry.position;
      const lookAhead = items.length >= shape.limit;
      if (lookAhead && source.trusted && entry.stamp !== undefined) {
        const st = await statOrNull(entry.file.absPath);
        if (st === null || !sameFile(entry.stamp, stampOf(st))) return { stale: entry.file };
        more = true;
        break;
      }
      let result = await (task ?? start(entry));
      if (lookAhead && entry.full && result === null) result = await evaluate(entry, false);
      if (result === 'exhausted') {
        lastExamined = examinedBefore;
        reachedScanCap = true;
        more = true;
        break;
      }
      if (entry.stamp !== undefined && (result === null || !sameFile(entry.stamp, stampOf(result.stat)))) return { stale: entry.file };
      const item = result?.item ?? null;
      if (item === null) {
        if (source.trusted && entry.stamp !== undefined) return { stale: entry.file };
        continue;
      }
      if (lookAhead) {
        more = true;
        break;
      }
      lastItem = entry.position;
      items.push(admit(item, entry.file, (result as { stat: Stats }).stat));
    }
  } finally {
    await ahead.close();
  }
  const resume = (reachedScanCap ? lastExamined : lastItem) ?? shape.after ?? startPosition(shape.order);
  return {
    page: {
      items,
      nextCursor: more ? encodePosition(resume, shape.sort, shape.order) : null,
      numScannedFiles: source.scannedFiles ?? numScannedFiles,
      reachedScanCap,
    },
  };
}
