import type { FileStamp } from '../files/file-stamp.js';
import type { SearchQuery } from '../search/match.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { RolloutFile, SessionSummary } from '../types.js';
import type { UsageResponse } from '../sources/common/usage-response.js';
import type { ContentState } from './content-state.js';
import type { IndexQuery, ModelUsage, UsageAggregate, UsageAggregation } from './metadata-index.js';

/**
 * The index's storage, as the upkeep (the pass, the watch, the catch-up before a query, the
 * refresh of a stale record) and the queries use it. Every call is asynchronous, so that a
 * backend over the network (PostgreSQL, shared by a team) implements it as well as the local
 * SQLite file (src/rollout/index/sqlite/). The upkeep never sees SQL, transactions or file
 * numbers: it reads rows, and writes lists of operations.
 *
 * Identity: every row is keyed by (home, relPath). `home` names one Codex home on one machine
 * (see homeId); relPath is the file's path relative to that home. A store answers only about
 * its own home.
 *
 * Text matching: the list's `q` and search needles are literal substrings compared after the
 * case fold of search/match.ts (`fold`, also used by listing/filters.ts containsFolded); a
 * backend applies exactly that function (SQLite calls it; another backend stores folded text
 * written by it), never its own collation.
 *
 * Null means "I cannot answer" (the caller then reads the files), never "nothing matches".
 */
export interface IndexStore {
  /** The home this store answers about. */
  readonly home: string;

  /** True once a full pass has completed on this store (kept across restarts). */
  complete(): Promise<boolean>;
  /** Rows held (files, sessions or not). */
  count(): Promise<number>;
  /** One file's row; undefined when the store has none. */
  get(relPath: string): Promise<StoredFile | undefined>;
  /**
   * The keys of the shared responses (UsageResponse.responseKey, `<thread_id>/<response_id>`)
   * indexed from the file, each once: the usage counter's within-file duplicate check when the
   * file's content goes on after an append (the stored state leaves them out: UsageCounter.checkpoint).
   */
  responseKeys(relPath: string): Promise<string[]>;
  /** Every path the store holds (the pass drops those it did not see). */
  paths(): Promise<string[]>;
  /** The rows of a session id (lower case), by path. */
  byId(id: string): Promise<StoredFile[]>;

  /**
   * Applies `ops` in order, all or none, after every write called before it. Resolves to true
   * when anything the store answers changed. A `content` operation whose `from` is not where
   * the row's content now ends is skipped (another writer, or a reset, moved it): two upkeeps
   * on one store never add a line twice.
   */
  write(ops: readonly WriteOp[]): Promise<boolean>;
  /** Housekeeping after a full pass (statistics, compaction); may take a while. */
  afterPass(): Promise<void>;

  /** One page of rows that pass `q` (and `search`, when given), in page order, after `q.after`, at most `q.limit`. */
  query(q: IndexQuery, search?: SearchFilter): Promise<StoredFile[]>;
  /**
   * How many sessions pass the filters of `q` (a list page's; its cursor and limit are not
   * used); null while no full pass has completed on this store.
   */
  countMatching(q: CountQuery): Promise<number | null>;
  /** What narrows the rows of a search page to those that may match `search` (a superset); computed once per page. */
  searchFilter(search: SearchQuery, pageSize: number): Promise<SearchFilter>;
  /**
   * The documents of a file that may match `search` (a superset), from line `fromLine` on, in
   * file order; null when the store holds no row for the path.
   */
  documents(relPath: string, search: SearchQuery, fromLine: number): Promise<LocatedDoc[] | null>;
  /** Counted usage per model of each path whose content was indexed to an end at least once. */
  usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>>;
  usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null>;
  aggregateUsage(q: UsageAggregation): Promise<UsageAggregate>;
  /** UsageIndex.countedElsewhere; null when the store holds no row for the path (the SQLite store has it). */
  countedElsewhere?(relPath: string, keys: readonly string[]): Promise<Set<string> | null>;

  /**
   * Null while this store is still the one that was opened and still this home's; otherwise
   * why not (another process replaced it or bound it to another home): the index opens it again.
   */
  verify(): Promise<string | null>;
  close(): Promise<void>;
}

/** A list query without its place in the list: what countMatching counts. */
export type CountQuery = Omit<IndexQuery, 'after' | 'limit'>;

/** Opaque to the upkeep: made by a store's searchFilter, given back to its query. */
export interface SearchFilter {
  readonly backend: string;
}

/** What the index knows of one file; valid while the file's stamp (or, elsewhere, its size and fingerprint) is unchanged. */
export interface StoredFile {
  relPath: string;
  key: string;
  id: string;
  archived: boolean;
  stamp: FileStamp;
  /** Whole-ms mtime: the sort=updated key. */
  mtimeMs: number;
  /** The title (first user message) is known: later appends cannot change the summary. */
  hasUserMessage: boolean;
  isSession: boolean;
  /** Null when the stored state cannot be used (another version wrote it): the content is read again. */
  content: ContentPosition | null;
  /** The file size the content was last indexed to the end of; -1 before the first time. */
  contentSize: number;
  /** The fingerprint of the bytes before `content.offset` (fingerprint.ts); null when none was taken. */
  fingerprint: string | null;
}

/** What one read of a file found: a session (its summary) or not a session (null). */
export interface IndexEntry {
  file: RolloutFile;
  stamp: FileStamp;
  session: { summary: SessionSummary; hasUserMessage: boolean } | null;
}

/** How far a file's content is indexed: the next line, and the consumers' state there. */
export interface ContentPosition {
  offset: number;
  lineNo: number;
  state: ContentState;
}

/** One write of the upkeep; a list of them is applied together (IndexStore.write). */
export type WriteOp =
  /** What a read of the file's head found; `resetContent`: drop its content, which starts again at this position. */
  | { kind: 'entry'; entry: IndexEntry; resetContent: ContentPosition | null }
  /** The file only grew and its summary stands: only its stamp moves. */
  | { kind: 'grew'; relPath: string; stamp: FileStamp }
  /**
   * Content read from `from` (an offset) up to `at`, with the fingerprint of the bytes before
   * `at.offset`; `doneAtSize` once it reached the end of a file of that size.
   */
  | {
      kind: 'content';
      relPath: string;
      from: number;
      docs: readonly LocatedDoc[];
      responses: readonly UsageResponse[];
      /** The file has token_usage_record lines: its token_count events do not count (usage rule 1). */
      hasRecords: boolean;
      at: ContentPosition;
      fingerprint: string;
      doneAtSize?: number | undefined;
    }
  /** The file is gone: its row and content go. */
  | { kind: 'delete'; relPath: string }
  /** A full pass completed. */
  | { kind: 'complete' };

/**
 * What an index is built on besides its store: the backend's lifecycle. Opening may be refused
 * (StoreRefusedError: the store belongs to another home) or find the store busy (another
 * process holds it: retried later); an error of a store call is classified so that the index
 * knows whether to rebuild, reopen, wait, or pass the error on.
 */
export interface StoreBackend {
  /** Opens the store for `home`; `fresh`: discard whatever it holds first. */
  open(home: string, fresh: boolean): Promise<IndexStore>;
  classify(err: unknown): StoreTrouble | null;
  /** Where the store lives, for the log (no secrets). */
  readonly where: string;
}

/**
 * `lost`: the store is damaged (rebuild it, fresh); `schema`: its tables went (open it again);
 * `busy`: another process holds it for now (try again later; nothing is dropped).
 */
export type StoreTrouble = { kind: 'lost' | 'schema' | 'busy'; reason: string };

/** The store is another home's (or otherwise not to be touched): the index is not used. */
export class StoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreRefusedError';
  }
}
