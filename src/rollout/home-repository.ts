import { resolve } from 'node:path';
import { Degradations } from './degraded.js';
import { UUID } from './sources/common/fields.js';
import { pathKind } from './files/fs-safety.js';
import { codex, type AnySource } from './sources/registry.js';
import type { HomeState, SessionNameBook, SessionWalker } from './sources/source.js';
import { homeId } from './index/identity.js';
import type { IndexFactory, IndexProgress, MetadataIndex } from './index/metadata-index.js';
import { DEFAULT_LISTING_CACHE, ListingCache, type ListingCacheOptions } from './listing/listing-cache.js';
import type { ReadListing } from './listing/list-items.js';
import type { EventLogOptions } from './live/event-log.js';
import { LiveTree } from './live/live-tree.js';
import { DEFAULT_BUDGET_WAIT_MS, DEFAULT_MEMORY_BUDGET_BYTES, Lease, MemoryBudget } from './reading/byte-budget.js';
import { recordReader, type RecordReader } from './reading/record-reader.js';
import { openSession } from './reading/open-session.js';
import { DEFAULT_READ_LIMITS, requestShare } from './reading/session-reader.js';
import type { OpenRollout, ReadEnv, ReadLimits, RequestKind } from './reading/session-reader.js';
import type { RecordOrigin, RolloutFile, RolloutLogger, SessionSummary } from './types.js';
import type { SearchDeps } from './search/search-pages.js';
import { PriceBook } from './usage/pricing.js';
import { usageSummary } from './usage/tally.js';
import type { SearchMeter } from './search/search-work.js';
import type { UsageDeps } from './usage/usage-report.js';

export interface RepositoryOptions {
  /** The home of the source served (its name from the first source; a Claude home for `source: claude`). */
  codexHome: string;
  /** The source whose sessions this repository serves (default Codex); the service serves one repository per source. */
  source?: AnySource;
  /** Files a single list request may examine past its cursor. */
  maxScanFiles: number;
  limits?: Partial<ReadLimits>;
  log: RolloutLogger;
  /** Makes the metadata index (e.g. sqliteIndex(...)); null or absent: scan only. */
  index?: IndexFactory | null;
  /** The in-memory cache of listing reads (default 32 MiB, 20,000 files); maxBytes 0 turns it off. */
  listingCache?: Partial<ListingCacheOptions>;
  /** The memory budget for session content in flight (default 256 MiB, 30 s wait). */
  memory?: MemoryBudget;
  /** The change log that /events replays from (default: the last 10,000 changes). */
  eventLog?: EventLogOptions;
  /** How often a follower looks at its file even without a watch event (default 1 s). */
  followPollMs?: number;
  /** The prices usage is costed with (default: the built-in table). */
  prices?: PriceBook;
  /** Characters of text one search request may examine (default DEFAULT_SEARCH_BUDGET_CHARS). */
  searchBudgetChars?: number;
}

/**
 * One source's sessions in one home, what every read of them starts from: the walker, the names,
 * the listing cache, the live tree and the index, the memory budget and the prices. The reads
 * themselves (pages, lookups, search, usage, export) are RolloutRepository's (repository.ts).
 */
export class HomeRepository {
  readonly codexHome: string;
  readonly source: AnySource;
  protected readonly limits: ReadLimits;
  protected readonly walker: SessionWalker;
  protected readonly names: SessionNameBook;
  protected readonly index: MetadataIndex | null;
  protected readonly cache: ListingCache;
  readonly memory: MemoryBudget;
  /** What the service is doing without right now (unreadable directories, names, the index): /readyz lists it. */
  readonly degraded: Degradations;
  readonly live: LiveTree;
  readonly prices: PriceBook;
  /** What search requests examined and how many run (tests see an abandoned search stop). */
  readonly searchMeter: SearchMeter = { examined: 0, active: 0 };

  constructor(protected readonly options: RepositoryOptions) {
    this.codexHome = resolve(options.codexHome);
    this.limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
    this.memory = options.memory ?? new MemoryBudget(DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_BUDGET_WAIT_MS);
    this.degraded = new Degradations(options.log);
    const source = (this.source = options.source ?? codex);
    this.walker = source.walker(this.codexHome, this.degraded, () => this.env());
    this.names = source.names(this.codexHome, this.degraded);
    this.cache = new ListingCache({ ...DEFAULT_LISTING_CACHE, ...options.listingCache }, source);
    this.prices = options.prices ?? new PriceBook();
    const { walker, limits, degraded, cache } = this;
    const { log } = options;
    this.live = new LiveTree({
      walker,
      source,
      log,
      feed: {
        summarize: (file) => this.summarize(file),
        lastSummary: (file) => cache.lastSummary(file.absPath),
        names: () => this.names.load(),
        filesOf: (id) => this.filesOf(id),
      },
      eventLog: options.eventLog,
      follow: { limits, lines: this.memory.lines, pollMs: options.followPollMs ?? 1000, open: (file) => this.openFile(file) },
    });
    const env = async (): Promise<ReadEnv> => ({ ...(await this.env()), waitMs: Number.POSITIVE_INFINITY }); // background: no rush
    const changed = () => this.live.indexChanged();
    const home = homeId(this.codexHome);
    const { watch } = this.live;
    this.index = options.index ? options.index({ home, walker, source, limits, log, env, degraded, watch, changed }) : null;
  }

  /** What every read needs: the home's real path, the limits and the memory budget. */
  protected async env(): Promise<ReadEnv> {
    return { realRoot: (await this.walker.roots()).realHome, limits: this.limits, budget: this.memory };
  }

  /**
   * A request's share of the memory budget, taken before it reads anything (waiting for room;
   * Unavailable after the budget's wait): a list page reads up to FILES_AT_ONCE files at once, a JSON
   * session one file into a bounded body, raw bytes one chunk at a time. Release it when the
   * response is done. A wait ends at once when `signal` aborts (the client went away). With
   * `client` (an opaque name), the bytes count against that client's share of the budget.
   */
  async leaseFor(kind: RequestKind, limit = 0, signal?: AbortSignal, client?: string): Promise<Lease> {
    const lease = new Lease(client === undefined ? this.memory.requests : this.memory.clients.for(client));
    await lease.take(requestShare(this.limits, kind, limit), signal);
    return lease;
  }

  /** Starts the background index build (if an index is configured); returns at once. */
  start(): void {
    this.index?.start();
  }

  async close(): Promise<void> {
    await this.index?.close();
    await this.live.close();
  }

  /**
   * A token that changes whenever anything a response built from the tree (and, with
   * `usesIndex`, the index) may show has changed: the tree, the names file, the index. Null
   * while no complete watch of the tree guarantees that. Costs no I/O: HTTP caching asks it
   * before building. List pages use the index too (their usage figures).
   */
  freshness(usesIndex: boolean): string | null {
    return this.live.version(usesIndex && this.index !== null);
  }

  /** A file's summary with its user-set name; null when it is not a session (yet) or cannot be read. */
  protected async summarize(file: RolloutFile): Promise<SessionSummary | null> {
    const summary = (await this.cache.read(file, 0, 0, await this.env(), this.options.log))?.read?.summary;
    if (summary === undefined) return null;
    return { ...summary, name: (await this.names.load()).get(summary.id) || summary.name || null };
  }

  indexProgress(): IndexProgress {
    const none = { state: 'disabled', reason: null, complete: false, filesInIndex: 0, filesCheckedThisPass: 0, lastPassMs: null } as const;
    return this.index?.progress() ?? none;
  }

  /** Resolves when the index's current work (if any) is done: for tests and benchmarks. */
  async indexIdle(): Promise<void> {
    await this.index?.idle();
  }

  /** What pages, search and usage read with: files for listings through the cache. */
  protected async readDeps(): Promise<SearchDeps & UsageDeps> {
    const { walker, index, prices, cache } = this;
    const env = await this.env();
    const readListing: ReadListing = (file, head, tail, log) => cache.read(file, head, tail, env, log);
    const { maxScanFiles, log } = this.options;
    return { walker, index, readListing, env, prices, maxScanFiles, log, agent: this.source.agent, keysInNames: this.source.keysInNames };
  }

  /** The summaries with their `usage` from the index: null for sessions it has not read yet, and for all without an index. */
  protected async withUsage<T extends SessionSummary>(items: T[]): Promise<T[]> {
    if (this.index === null || items.length === 0) return items;
    const found = await this.index.usageOf(items.map((i) => i.path));
    return items.map((item) => {
      const models = found.get(item.path);
      return { ...item, usage: models === undefined ? null : usageSummary(models, this.prices) };
    });
  }

  /** The files that claim `id` (lower case). The index may not know a file newer than its last update: then the disk is searched. */
  protected async filesOf(id: string): Promise<RolloutFile[]> {
    const indexed = await this.indexedFilesOf(id);
    if (indexed !== null && indexed.length > 0) return indexed;
    // A complete index lacks the id: a file it does not hold changed since the watch began, when the watch is complete.
    const changed = indexed === null ? null : this.live.touchedFiles();
    const files = await this.source.filesClaiming(this.walker, id, changed);
    return changed === null ? files : this.existing(files);
  }

  /** The files a complete index holds for `id` (lower case) that are still there; null when no complete index can say. */
  async indexedFilesOf(id: string): Promise<RolloutFile[] | null> {
    return this.index?.usable ? this.existing(await this.index.lookup(id)) : null;
  }

  /** The index's files that are still there, as the walk would take them: regular files whose real path is inside the home. */
  protected async existing(files: RolloutFile[]): Promise<RolloutFile[]> {
    const { realHome } = await this.walker.roots();
    const kinds = await Promise.all(files.map((f) => pathKind(f.absPath, realHome)));
    return files.filter((_, i) => kinds[i] === 'file');
  }

  /** Whether a file is this repository's: its source's walker names it at that path in this home. */
  owns(file: RolloutFile): boolean {
    return this.walker.fileAt(file.relPath) !== null && this.walker.absPath(file.relPath) === file.absPath;
  }

  /** The ordering key of a listed session (a merged list interleaves the sources by it). */
  keyOfItem(summary: SessionSummary): string {
    const file = this.walker.fileAt(summary.path);
    return file === null ? '' : this.source.keyOf(file, summary).key;
  }

  /** Opens a rollout's bytes: only a regular file inside the home, proven on the descriptor (else NotFound). */
  async openFile(file: RolloutFile): Promise<OpenRollout> {
    return openSession(file, (await this.walker.roots()).realHome);
  }

  /** Opens the file a page item's records that were not held are read from (see recordReader). */
  async openRecords(origin: RecordOrigin): Promise<RecordReader> {
    return recordReader(await this.openFile(origin.file), origin);
  }

  /** Whether a session file with `id` exists (rule 6 gives a response to the session named by its thread id). */
  protected async sessionExists(id: string): Promise<boolean> {
    return UUID.test(id) && (await this.filesOf(id.toLowerCase())).length > 0;
  }

  /** Readiness: whether the Codex home is there, can be read and has a sessions/ directory. */
  async homeState(): Promise<HomeState> {
    return this.source.homeState(this.codexHome);
  }
}
