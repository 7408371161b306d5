import type { SessionWalker } from '../sources/source.js';
import type { PageIndex } from './page-index.js';
import type { Lease } from '../reading/byte-budget.js';
import type { ArchivedFilter, ConversationsPage, ListQuery, RolloutLogger } from '../types.js';
import { decodePosition } from './cursor.js';
import { containsFolded, hasFilter, parseFilter, type SessionFilter } from './filters.js';
import { admitWithin, listEvaluator, type ListPlan, type ReadListing } from './list-items.js';
import { collectPage, type CandidateSource, type Page, type PageOutcome, type PageShape } from './page-loop.js';
import { byUpdateSource, walkSource } from './scan-source.js';

/** What a page of sessions is built from: the tree, the index, a reader of files, the scan cap. */
export interface PageDeps {
  walker: SessionWalker;
  index: PageIndex | null;
  readListing: ReadListing;
  /** Files one request may examine past its cursor when it scans. */
  maxScanFiles: number;
  /** False when the walk must read every file to order it (Claude): then a complete index serves sort=created too. */
  keysInNames?: boolean;
}

/**
 * Files a first listing of a tree may have found while a page waits for it (with the scan bound,
 * whichever is lower): Claude discovery reads directories one at a time, and under an index
 * build 1,000 files are a few hundred such reads, seconds on a loaded machine.
 */
export const LISTING_WAIT_FILES = 1_000;

/** Times a page is asked of the index again after one of its records proved stale. */
const STALE_RETRIES = 3;

/** The page of plan-shaped candidates the index proposes; null when it cannot answer after all. */
export type IndexCandidates = (index: PageIndex) => Promise<CandidateSource | null>;

/**
 * A page from the index while it can answer, otherwise by scanning the tree. A record the page
 * finds stale is re-indexed and the page asked again; an index that keeps changing under the
 * page, stops answering, or was dropped while the page was read (its candidates may then be
 * too few) leaves the page to a scan. The one loop of list and search pages alike.
 */
export async function pageFromIndexOrScan<I>(
  deps: PageDeps,
  shape: PageShape & { filter: SessionFilter; archived: ArchivedFilter },
  fromIndex: IndexCandidates | null,
  collect: (source: CandidateSource) => Promise<PageOutcome<I>>,
  log: RolloutLogger,
): Promise<Page<I>> {
  const { index } = deps;
  if (fromIndex !== null && index?.usable) {
    for (let attempt = 0; attempt < STALE_RETRIES; attempt++) {
      const source = await fromIndex(index);
      if (source === null) break;
      const outcome = await collect(source);
      if ('page' in outcome && index.usable) return outcome.page;
      if ('stale' in outcome) await index.refresh(outcome.stale);
    }
    log.debug({}, 'the index kept changing under the page, or stopped answering; scanning instead');
  }
  const source =
    shape.sort === 'created'
      ? walkSource(deps.walker, shape, shape.filter, shape.archived, deps.maxScanFiles)
      : await byUpdateSource(deps.walker, shape.archived, shape.order, deps.maxScanFiles);
  const outcome = await collect(source);
  if ('page' in outcome) return outcome.page;
  throw new Error('a scan page cannot go stale'); // only index candidates carry stamps
}

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
  const nameMatchIds = () => (filter.q === undefined ? [] : [...names].filter(([, n]) => containsFolded(n, filter.q!)).map(([id]) => id));
  const fromIndex: IndexCandidates | null =
    sort === 'updated' || hasFilter(filter) || deps.keysInNames === false
      ? (index) => index.candidates({ ...query, sort, filter, nameMatchIds: nameMatchIds(), after, limit: query.limit + 1 })
      : null;
  // Counted only when asked, on the first page, beside the page: the count reads every matching
  // row (tens of ms on 100,000 sessions, against a few for the page itself).
  const { index } = deps;
  // While its index builds, a walker that lists its whole tree first (Claude) is not waited for
  // past LISTING_WAIT_FILES: the page goes without its sessions, and says so (docs/claude.md, "Serving").
  const waitFor = Math.min(deps.maxScanFiles, LISTING_WAIT_FILES);
  const waits = index !== null && !index.usable && deps.walker.listedWithin !== undefined;
  if (index?.usable === true) deps.walker.indexAnswers?.();
  const walker = waits ? await deps.walker.listedWithin!(waitFor) : deps.walker;
  if (walker === null) return { items: [], nextCursor: null, numScannedFiles: 0, reachedScanCap: false, indexing: true };
  const wanted = query.total === true && after === undefined;
  const counting = wanted && index?.usable ? index.count({ ...query, sort, filter, nameMatchIds: nameMatchIds() }) : null;
  const paging = pageFromIndexOrScan({ ...deps, walker }, { ...plan, archived: query.archived }, fromIndex, collect, log);
  const [page, total] = await Promise.all([paging, counting]);
  return total === null || total === undefined ? page : { ...page, total };
}
