import type { TreeWalker } from '../files/tree-walk.js';
import type { SessionFilter } from '../listing/filters.js';
import type { Position } from '../listing/cursor.js';
import type { CandidateSource } from '../listing/page-loop.js';
import type { Degradations } from '../degraded.js';
import type { ReadEnv, ReadLimits } from '../reading/session-reader.js';
import type { ArchivedFilter, RolloutFile, RolloutLogger, SortField, SortOrder } from '../types.js';

export interface IndexProgress {
  /** `rebuilding`: the index file was found corrupt while running; queries scan until it is rebuilt. */
  state: 'disabled' | 'building' | 'ready' | 'failed' | 'rebuilding';
  /** Why the index is failed or rebuilding (no absolute paths); null otherwise. */
  reason: string | null;
  /** True once a full pass has completed: only then do queries use the index. */
  complete: boolean;
  filesInIndex: number;
  filesCheckedThisPass: number;
  lastPassMs: number | null;
}

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
 * What the repository needs of an index of the Codex home. The SQLite index implements it;
 * a shared server index (PostgreSQL, for teams) could too, and would run the same contract
 * tests (test/rollout/index/contract.ts). An index is a cache of the files: every answer is
 * checked against the disk by its user, and a record found stale is handed back to `refresh`.
 */
export interface MetadataIndex {
  /** True while the index has seen the whole tree and can answer queries. */
  readonly usable: boolean;
  /** Opens the index and starts keeping it in step with the tree, in the background. */
  start(): void;
  close(): Promise<void>;
  /** Resolves when the work under way is done (tests and benchmarks; requests never wait for it). */
  idle(): Promise<void>;
  progress(): IndexProgress;
  /**
   * Candidates for one page: up to `limit + 1` sessions that pass the query, each with the stamp
   * it was indexed at. New sessions in the newest day directory are taken in first. Null when
   * the index cannot answer after all (found corrupt, taken over): the caller scans.
   */
  candidates(query: IndexQuery): Promise<CandidateSource | null>;
  /** The files the index holds for a session id (lower case); the caller checks they exist. */
  lookup(id: string): Promise<RolloutFile[]>;
  /** Re-indexes one file now (a query found its record stale). */
  refresh(file: RolloutFile): Promise<void>;
}

/** What an index is built on: the repository's walker of the Codex home, its read limits and logger. */
export interface IndexDeps {
  walker: TreeWalker;
  limits: ReadLimits;
  log: RolloutLogger;
  /** What a read of a file needs (the home's real path, the limits, the memory budget); background reads wait as long as it takes. */
  env: () => Promise<ReadEnv>;
  /** Where the index reports what it is doing without (corrupt and being rebuilt, bound to another home). */
  degraded: Degradations;
}

export type IndexFactory = (deps: IndexDeps) => MetadataIndex;
