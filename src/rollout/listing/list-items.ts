import type { Lease } from '../reading/byte-budget.js';
import type { ListingRead, SessionRead } from '../sources/source.js';
import type { ConversationItem, RecordText, RolloutFile, RolloutLogger, SessionSummary } from '../types.js';
import { matchesFilter, type SessionFilter } from './filters.js';
import type { Admit, Candidate, Evaluate, PageShape } from './page-loop.js';

/** Reads a file for a listing (through the cache); never rejects. */
export type ReadListing = (file: RolloutFile, head: number, tail: number, log: RolloutLogger) => Promise<ListingRead>;

/** What decides which sessions a page lists, besides its order and size. */
export interface ListPlan extends PageShape {
  head: number;
  tail: number;
  includeEmpty: boolean;
  filter: SessionFilter;
  names: ReadonlyMap<string, string>;
  log: RolloutLogger;
}

export function toItem(read: SessionRead, names: ReadonlyMap<string, string>): ConversationItem {
  // A names file's name, else one the transcript itself gives (Claude's ai-title, custom-title, summary).
  return { ...read.summary, name: names.get(read.summary.id) || read.summary.name || null, head: read.head, tail: read.tail };
}

/** Whether a listed session passes the plan: a user message (or includeEmpty) and the filters on the sort key. */
export function qualifies(
  plan: Pick<ListPlan, 'sort' | 'includeEmpty' | 'filter'>,
  candidate: Candidate,
  summary: SessionSummary,
  hasUserMessage: boolean,
): boolean {
  if (!hasUserMessage && !plan.includeEmpty) return false;
  const sortMs = plan.sort === 'created' ? Date.parse(summary.createdAt) : candidate.position.mtimeMs;
  return matchesFilter(summary, plan.filter, sortMs);
}

/** A list page's items: the listing read of each candidate, with its head and tail records. */
export function listEvaluator(plan: ListPlan, readListing: ReadListing): Evaluate<ConversationItem> {
  return async (candidate, full) => {
    const result = await readListing(candidate.file, full ? plan.head : 0, full ? plan.tail : 0, plan.log);
    if (result === null) return null;
    const { read } = result;
    if (read === null) return { stat: result.stat, item: null };
    const item = toItem(read, plan.names);
    return { stat: result.stat, item: qualifies(plan, candidate, item, read.hasUserMessage) ? item : null };
  };
}

/**
 * A list item as it joins the page: each held record stays in memory only while the request's
 * share of the memory budget has room for it (otherwise it is sent from its file), and an item
 * with records left in its file says which file, as it was read. No lease: all stay.
 */
export function admitWithin(lease: Lease | undefined): Admit<ConversationItem> {
  return (item, file, st) => {
    const hold = (records: RecordText[]) =>
      records.map((r) => (r.bytes === undefined || lease === undefined || lease.tryTake(r.bytes.length) ? r : { ...r, bytes: undefined }));
    const head = hold(item.head);
    const tail = hold(item.tail);
    const unheld = [...head, ...tail].some((r) => r.bytes === undefined);
    return { ...item, head, tail, ...(unheld ? { origin: { file, dev: st.dev, ino: st.ino, size: st.size } } : {}) };
  };
}
