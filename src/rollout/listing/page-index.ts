import type { ArchivedFilter, RolloutFile, SortField, SortOrder } from '../types.js';
import type { Position } from './cursor.js';
import type { SessionFilter } from './filters.js';
import type { CandidateSource } from './page-loop.js';

/** One page's worth of an index query: the sessions that pass the filters, after the cursor, in order. */
export interface IndexQuery {
  sort: SortField;
  order: SortOrder;
  archived: ArchivedFilter;
  includeEmpty: boolean;
  filter: SessionFilter;
  /** Ids whose user-set name matches `filter.q` (names live in session_index.jsonl, not in the index). */
  nameMatchIds: string[];
  after?: Position | undefined;
  limit: number;
}

/**
 * What a list page needs of an index (the metadata index implements it; listing does not depend
 * on the index folder): candidates for a page, and a refresh of a record found stale.
 */
export interface PageIndex {
  /** True while the index has seen the whole tree and can answer queries. */
  readonly usable: boolean;
  /**
   * Candidates for one page: up to `limit + 1` sessions that pass the query, each with the stamp
   * it was indexed at. New sessions in the newest day directory are taken in first. Null when
   * the index cannot answer after all (found corrupt, taken over): the caller scans.
   */
  candidates(query: IndexQuery): Promise<CandidateSource | null>;
  /**
   * How many sessions pass the filters of `query` (its cursor and limit aside); null when the
   * index cannot answer (not complete, found corrupt, taken over).
   */
  count(query: Omit<IndexQuery, 'after' | 'limit'>): Promise<number | null>;
  /** Re-indexes one file now (a query found its record stale). */
  refresh(file: RolloutFile): Promise<void>;
}
