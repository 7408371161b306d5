import { stat as statCallback, type Stats } from 'node:fs';
import { sameFile, stampOf, type FileStamp } from '../files/file-stamp.js';
import type { Lease } from '../reading/byte-budget.js';
import type { SessionRead } from '../reading/session-reader.js';
import type { ConversationItem, ConversationsPage, RecordText, RolloutFile, RolloutLogger, SortField, SortOrder } from '../types.js';
import { encodePosition, positionCompare, startPosition, type Position } from './cursor.js';
import { matchesFilter, type SessionFilter } from './filters.js';
import { ReadAhead } from './read-ahead.js';

/** Files a list request reads at once. */
export const MAX_PARALLEL_READS = 16;

/** A file that may belong on a page, at its position in the page's order. */
export interface Candidate {
  file: RolloutFile;
  position: Position;
  /**
   * What an index recorded of the file. A candidate with a stamp was already chosen by the
   * page's filters: a read that finds the file otherwise proves the record stale.
   */
  stamp?: FileStamp;
}

/** Where a page's candidates come from: the tree walk or an index. */
export interface CandidateSource {
  /** In page order; a walk may start before the cursor (those are skipped and counted). */
  candidates: AsyncIterable<Candidate> | Iterable<Candidate>;
  /** The candidates carry stamps: a look-ahead needs only a stat, not a read. */
  trusted: boolean;
  /** Candidates past the cursor one page may examine (the scan cap); Infinity for none. */
  maxExamined: number;
  /** Files the source looked at to order its candidates, when that is more than the page pulled. */
  scannedFiles?: number;
}

export interface PagePlan {
  sort: SortField;
  order: SortOrder;
  limit: number;
  head: number;
  tail: number;
  includeEmpty: boolean;
  filter: SessionFilter;
  after: Position | undefined;
  names: ReadonlyMap<string, string>;
  log: RolloutLogger;
  /**
   * The request's share of the memory budget: a record stays in memory for the response only
   * while the budget has room for it; the others are sent from their file. None: all stay.
   */
  lease?: Lease | undefined;
  readListing: ReadListing;
}

/** A listing read of a file (null: unreadable; `read` null: not a session). Never rejects. */
export type ListingRead = { stat: Stats; read: SessionRead | null } | null;
export type ReadListing = (file: RolloutFile, head: number, tail: number, log: RolloutLogger) => Promise<ListingRead>;

/** A page, or the candidate whose record proved stale (the caller refreshes it and asks again). */
export type PageOutcome = { page: ConversationsPage } | { stale: RolloutFile };

type Entry = Candidate & { kind: 'skip' | 'cap' | 'read'; fullRead?: boolean };

/** Marks candidates before the cursor, and stops after the first one past the scan cap. */
async function* classify(plan: PagePlan, source: CandidateSource): AsyncGenerator<Entry> {
  const sign = plan.order === 'desc' ? -1 : 1;
  let examinable = 0;
  for await (const candidate of source.candidates) {
    if (plan.after !== undefined && sign * positionCompare(candidate.position, plan.after, plan.sort) <= 0) {
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

function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve) => statCallback(path, (err, st) => resolve(err ? null : st)));
}

export function toItem(read: SessionRead, names: ReadonlyMap<string, string>): ConversationItem {
  return { ...read.summary, name: names.get(read.summary.id) || null, head: read.head, tail: read.tail };
}

/**
 * The item as it joins the page: each held record stays in memory only while the lease has room
 * for it (otherwise it is sent from its file), and an item with records left in its file
 * says which file, as it was read.
 */
function admit(item: ConversationItem, file: RolloutFile, st: Stats, lease: Lease | undefined): ConversationItem {
  const hold = (records: RecordText[]) =>
    records.map((r) => (r.bytes === undefined || lease === undefined || lease.tryTake(r.bytes.length) ? r : { ...r, bytes: undefined }));
  const head = hold(item.head);
  const tail = hold(item.tail);
  const unheld = [...head, ...tail].some((r) => r.bytes === undefined);
  return { ...item, head, tail, ...(unheld ? { origin: { file, dev: st.dev, ino: st.ino, size: st.size } } : {}) };
}

/**
 * The one page loop. Takes candidates in order until the page is full and one more qualifying
 * session proves that more follow (so `nextCursor` is exact).
 *
 * The reads of the next candidates run concurrently (as many as could still join the page,
 * plus the look-ahead, at most MAX_PARALLEL_READS), but their results are taken strictly in
 * order with the decisions of a one-by-one read: the same items, counts and cursor. A read
 * started for the page and then taken as the look-ahead is used only for whether the session
 * qualifies, which does not depend on the head and tail counts; if it failed, the look-ahead
 * read (no head, no tail) is made again so that a failure of the tail alone cannot change the
 * answer. A trusted candidate that the read contradicts stops the page: see PageOutcome.
 */
export async function collectPage(plan: PagePlan, source: CandidateSource): Promise<PageOutcome> {
  const { readListing } = plan;
  const items: ConversationItem[] = [];
  let numScannedFiles = 0;
  let lastExamined: Position | undefined;
  let lastItem: Position | undefined;
  let more = false;
  let reachedScanCap = false;
  const ahead = new ReadAhead<Entry, ListingRead>(classify(plan, source), (e) => e.kind === 'read');
  const start = (entry: Entry) => {
    entry.fullRead = items.length < plan.limit;
    return readListing(entry.file, entry.fullRead ? plan.head : 0, entry.fullRead ? plan.tail : 0, plan.log);
  };
  try {
    while (true) {
      // A trusted look-ahead is only stat'ed; an untrusted one is read to see whether it qualifies.
      const window = Math.min(MAX_PARALLEL_READS, plan.limit - items.length + (source.trusted ? 0 : 1));
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
      lastExamined = entry.position;
      const lookAhead = items.length >= plan.limit;
      if (lookAhead && entry.stamp !== undefined) {
        const st = await statOrNull(entry.file.absPath);
        if (st === null || !sameFile(entry.stamp, stampOf(st))) return { stale: entry.file };
        more = true;
        break;
      }
      let result = await (task ?? start(entry));
      if (lookAhead && entry.fullRead && result === null) result = await readListing(entry.file, 0, 0, plan.log);
      const read = result?.read;
      const item = read && (read.hasUserMessage || plan.includeEmpty) ? toItem(read, plan.names) : null;
      const qualifies =
        item !== null && matchesFilter(item, plan.filter, plan.sort === 'created' ? Date.parse(item.createdAt) : entry.position.mtimeMs);
      if (entry.stamp !== undefined && (!qualifies || result === null || !sameFile(entry.stamp, stampOf(result.stat)))) {
        return { stale: entry.file };
      }
      if (item === null || !qualifies) continue;
      if (lookAhead) {
        more = true;
        break;
      }
      lastItem = entry.position;
      items.push(admit(item, entry.file, (result as { stat: Stats }).stat, plan.lease));
    }
  } finally {
    await ahead.close();
  }
  const resume = (reachedScanCap ? lastExamined : lastItem) ?? plan.after ?? startPosition(plan.order);
  return {
    page: {
      items,
      nextCursor: more ? encodePosition(resume, plan.sort, plan.order) : null,
      numScannedFiles: source.scannedFiles ?? numScannedFiles,
      reachedScanCap,
    },
  };
}
