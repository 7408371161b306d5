import type { FileStamp } from '../files/file-stamp.js';
import type { IndexQuery, PageIndex } from '../listing/page-index.js';
import type { CandidateSource } from '../listing/page-loop.js';
import type { RolloutFile } from '../types.js';
import type { SearchQuery } from './match.js';
import type { LocatedDoc } from './session-matcher.js';

/** What search needs of an index, besides a list page's needs. */
export interface SearchIndex extends PageIndex {
  /**
   * Candidates for a search page: the sessions that pass the query and may match `search`, in
   * page order, each with the stamp it was indexed at; the caller checks each one's documents.
   * `limit` is how many the page needs (with its look-ahead); more may follow when asked for.
   * Null, or `usable` false after the page, when the index stopped answering: the caller scans.
   */
  searchCandidates(query: IndexQuery, search: SearchQuery): Promise<CandidateSource | null>;
  /**
   * The documents of a file that may match `search` (a superset: the caller checks each), from
   * line `fromLine` on, in file order; null when the index does not hold the file's content as
   * it is at `stamp` (the caller reads the file instead).
   */
  searchDocuments(file: RolloutFile, stamp: FileStamp, search: SearchQuery, fromLine?: number): Promise<Iterable<LocatedDoc> | null>;
}
