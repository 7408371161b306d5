import type { SessionWalker } from '../sources/source.js';
import type { AnySource } from '../sources/registry.js';
import type { Degradations } from '../degraded.js';
import type { TreeWatch } from '../live/tree-watcher.js';
import type { ReadEnv, ReadLimits } from '../reading/session-reader.js';
import type { SearchIndex } from '../search/search-index.js';
import type { RolloutFile, RolloutLogger } from '../types.js';
import type { ModelUsage, UsageIndex } from '../usage/usage-index.js';

export type { IndexQuery } from '../listing/page-index.js';
export type { ModelUsage, UsageAggregate, UsageAggregation, UsageBucket } from '../usage/usage-index.js';

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

/**
 * What the repository needs of an index of the Codex home. StoreIndex implements it over any
 * IndexStore (store.ts: SQLite today, PostgreSQL next); the stores run the contract suite of
 * test/rollout/index/store-contract.ts. An index is a cache of the files: every answer is
 * checked against the disk by its user, and a record found stale is handed back to `refresh`.
 */
export interface MetadataIndex extends SearchIndex, UsageIndex {
  /** Opens the index and starts keeping it in step with the tree, in the background. */
  start(): void;
  close(): Promise<void>;
  /** Resolves when the work under way is done (tests and benchmarks; requests never wait for it). */
  idle(): Promise<void>;
  progress(): IndexProgress;
  /**
   * The counted token usage of these files (paths relative to the home), per model, for each
   * file whose content the index has read to an end at least once; the others are missing.
   */
  usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>>;
  /** The files the index holds for a session id (lower case); the caller checks they exist. */
  lookup(id: string): Promise<RolloutFile[]>;
}

/** What an index is built on: the repository's walker of the Codex home, its read limits and logger. */
export interface IndexDeps {
  /** The home's identity in the store's keys (identity.ts homeId). */
  home: string;
  walker: SessionWalker;
  /** The source the walker is of (default Codex): how a file's head is read and keyed, where new sessions land. */
  source?: AnySource;
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
