import type { ListingRead, SessionRead } from '../reading/session-reader.js';
import type { ConversationItem, RolloutFile, RolloutLogger, SessionSummary } from '../types.js';
import { matchesFilter, type SessionFilter } from './filters.js';
import type { Candidate, Evaluate, PageShape } from './page-loop.js';

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
  return { ...read.summary, name: names.get(read.summary.id) || null, head: read.head, tail: read.tail };
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
