import type { TreeWalker } from '../files/tree-walk.js';
import type { MetadataIndex } from '../index/metadata-index.js';
import type { Lease } from '../reading/byte-budget.js';
import type { ConversationsPage, ListQuery, RolloutLogger } from '../types.js';
import { decodePosition } from './cursor.js';
import { containsFolded, hasFilter, parseFilter } from './filters.js';
import { admitWithin, listEvaluator, type ListPlan, type ReadListing } from './list-items.js';
import { collectPage, type CandidateSource, type Page } from './page-loop.js';
import { byUpdateSource, walkSource } from './scan-source.js';
import type { ConversationItem } from '../types.js';

/** What a page of sessions is built from: the tree, the index, a reader of files, the scan cap. */
export interface PageDeps {
  walker: TreeWalker;
  index: MetadataIndex | null;
  readListing: ReadListing;
  /** Files one request may examine past its cursor when it scans. */
  maxScanFiles: number;
}

/** Times a page is asked of the index again after one of its records proved stale. */
export const STALE_RETRIES = 3;

/**
 * One page of sessions strictly after `query.cursor`. sort=created without filters walks the
 * tree and reads files only until the page is full plus a look-ahead; sort=updated and filters
 * use the metadata index when it is complete, and a full scan otherwise. With a `lease`,
 * records stay in memory only while it has room (the others are sent from their file).
 */
export async function listPage(
  deps: PageDeps,
  query: ListQuery,
  names: ReadonlyMap<string, string>,
  log: RolloutLogger,
  lease?: Lease,
): Promise<ConversationsPage> {
  const sort = query.sort ?? 'created';
  const filter = parseFilter(query);
  const after = query.cursor === undefined ? undefined : decodePosition(query.cursor, sort, query.order);
  const plan: ListPlan = { ...query, sort, filter, after, names, log };
  const collect = (source: CandidateSource) => collectPage(plan, source, listEvaluator(plan, deps.readListing), admitWithin(lease));
  const { index } = deps;
  if ((sort === 'updated' || hasFilter(filter)) && index?.usable) {
    const page = await fromIndex(index, plan, query, collect);
    if (page !== null) return page;
  }
  const source =
    sort === 'created'
      ? walkSource(deps.walker, plan, filter, query.archived, deps.maxScanFiles)
      : await byUpdateSource(deps.walker, query.archived, query.order, deps.maxScanFiles);
  const outcome = await collect(source);
  if ('page' in outcome) return outcome.page;
  throw new Error('a scan page cannot go stale'); // only index candidates carry stamps
}

/**
 * A page from the index. A record the page finds stale is re-indexed and the query asked
 * again; null (scan instead) if the index keeps changing under it or cannot answer.
 */
async function fromIndex(
  index: MetadataIndex,
  plan: ListPlan,
  query: ListQuery,
  collect: (source: CandidateSource) => ReturnType<typeof collectPage<ConversationItem>>,
): Promise<Page<ConversationItem> | null> {
  const { filter, names, sort, after } = plan;
  const nameMatchIds = filter.q === undefined ? [] : [...names].filter(([, n]) => containsFolded(n, filter.q!)).map(([id]) => id);
  for (let attempt = 0; attempt < STALE_RETRIES; attempt++) {
    const source = await index.candidates({ ...query, sort, filter, nameMatchIds, after, limit: query.limit + 1 });
    if (source === null) return null;
    const outcome = await collect(source);
    if ('page' in outcome) return outcome.page;
    await index.refresh(outcome.stale);
  }
  plan.log.debug({}, 'index kept changing under the query; scanning instead');
  return null;
}
