import type { FileStamp } from '../files/file-stamp.js';
import type { TreeWalker } from '../files/tree-walk.js';
import type { SearchQuery } from '../search/match.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { GroupBy, UsageSelectors } from '../usage/grouping.js';
import type { OffsetInterval } from '../usage/time-buckets.js';
import type { TokenCounts } from '../usage/tokens.js';
import type { SessionFilter } from '../listing/filters.js';
import type { Position } from '../listing/cursor.js';
import type { CandidateSource } from '../listing/page-loop.js';
import type { Degradations } from '../degraded.js';
import type { ReadEnv, ReadLimits } from '../reading/session-reader.js';
import type { ArchivedFilter, RolloutFile, RolloutLogger, SortField, SortOrder } from '../types.js';
import type { TreeWatch } from '../live/tree-watcher.js';

export interface IndexProgress {
  /**
   * `rebuilding`: the index was found damaged while running; `waiting`: another process holds
   * it (locked), and its updates wait for it. Queries scan in both until the index is ready again.
   */
  state: 'disabled' | 'building' | 'ready' | 'failed' | 'rebuilding' | 'waiting';
  /** Why the index is failed, rebuilding or waiting (no absolute paths); null otherwise. */
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
 * What the repository needs of an index of the Codex home. StoreIndex implements it over any
 * IndexStore (store.ts: SQLite today, PostgreSQL next); the stores run the contract suite of
 * test/rollout/index/store-contract.ts. An index is a cache of the files: every answer is
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
  /**
   * The counted token usage of these files (paths relative to the home), per model, for each
   * file whose content the index has read to an end at least once; the others are missing.
   */
  usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>>;
  /**
   * The earliest and latest time of a counted response; null when there is none. This and
   * aggregateUsage answer empty when the index stops answering: the caller checks `usable` after.
   */
  usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null>;
  /** The counted usage of the sessions that pass `q`, per group and model, and the sessions per group. */
  aggregateUsage(q: UsageAggregation): Promise<UsageAggregate>;
  /** The files the index holds for a session id (lower case); the caller checks they exist. */
  lookup(id: string): Promise<RolloutFile[]>;
  /** Re-indexes one file now (a query found its record stale). */
  refresh(file: RolloutFile): Promise<void>;
}

/** What an index is built on: the repository's walker of the Codex home, its read limits and logger. */
export interface IndexDeps {
  /** The home's identity in the store's keys (identity.ts homeId). */
  home: string;
  walker: TreeWalker;
  limits: ReadLimits;
  log: RolloutLogger;
  /** What a read of a file needs (the home's real path, the limits, the memory budget); background reads wait as long as it takes. */
  env: () => Promise<ReadEnv>;
  /** Where the index reports what it is doing without (corrupt and being rebuilt, bound to another home). */
  degraded: Degradations;
  /** The repository's one tree watcher: the index starts it and listens to its reports. */
  watch: TreeWatch;
  /**
   * Called after every change of what the index answers (a committed write, the index becoming
   * usable): responses built from the index before it are stale (HTTP caching, live events).
   */
  changed: () => void;
}

export type IndexFactory = (deps: IndexDeps) => MetadataIndex;

/** One model's counted tokens in one session. */
export interface ModelUsage extends TokenCounts {
  model: string;
}

/** What `GET /usage` aggregates: counted responses of the sessions that pass the filters, in a time range. */
export interface UsageAggregation {
  groupBy: GroupBy;
  /** The requested zone's offsets over the responses' times (for time groups). */
  offsets: OffsetInterval[];
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  archived: ArchivedFilter;
  filter: UsageSelectors;
}

/** A group's key: a session column, a model, or a local day number for time groups. */
export type UsageBucket = string | number | null;

export interface UsageAggregate {
  tokens: (TokenCounts & { bucket: UsageBucket; model: string })[];
  sessions: { bucket: UsageBucket; n: number }[];
}
