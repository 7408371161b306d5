import { resolve } from 'node:path';
import { Degradations } from './degraded.js';
import { RolloutError, RolloutErrorKind } from './errors.js';
import { UUID } from './sources/common/fields.js';
import { pathKind } from './files/fs-safety.js';
import { codex, type AnySource } from './sources/registry.js';
import type { HomeState, SessionNameBook, SessionWalker } from './sources/source.js';
import { homeId } from './index/identity.js';
import type { IndexFactory, IndexProgress, MetadataIndex } from './index/metadata-index.js';
import { DEFAULT_LISTING_CACHE, ListingCache, type ListingCacheOptions } from './listing/listing-cache.js';
import type { ReadListing } from './listing/list-items.js';
import { listPage } from './listing/list-page.js';
import type { EventLogOptions } from './live/event-log.js';
import { LiveTree } from './live/live-tree.js';
import { DEFAULT_BUDGET_WAIT_MS, DEFAULT_MEMORY_BUDGET_BYTES, Lease, MemoryBudget } from './reading/byte-budget.js';
import type { OpenConversation } from './sources/source.js';
import { recordReader, type RecordReader } from './reading/record-reader.js';
import { openSession } from './reading/open-session.js';
import { DEFAULT_READ_LIMITS, requestShare } from './reading/session-reader.js';
import type { OpenRollout, ReadEnv, ReadLimits, RequestKind } from './reading/session-reader.js';
import type { ConversationsPage, ListQuery, RecordOrigin, RolloutFile, RolloutLogger, SessionSummary } from './types.js';
import { searchPage, searchSession } from './search/search-pages.js';
import type { SearchDeps, SearchPage, SearchRequest, SessionSearchRequest } from './search/search-pages.js';
import { PriceBook } from './usage/pricing.js';
import { usageSummary } from './usage/tally.js';
import { leaseMemory, readSessionUsage, type SessionUsage } from './usage/session-usage.js';
import { keysCarriedByOlder } from './usage/carriers.js';
import { DEFAULT_SEARCH_BUDGET_CHARS, SearchWork, type SearchMeter } from './search/search-work.js';
import { usageReport, type UsageDeps, type UsageQuery, type UsageReport } from './usage/usage-report.js';
import { decodeTranscriptCursor, exportTranscript, transcriptPiece } from './transcript/export.js';
import type { ExportRequest, TranscriptExport, TranscriptPiece } from './transcript/export.js';
import type { TranscriptHeader, TranscriptOptions } from './transcript/render.js';

export type { OpenConversation } from './sources/source.js';
export type { RecordEvent } from './reading/record-events.js';
export type { RecordReader } from './reading/record-reader.js';
export type { FeedEvent } from './live/event-log.js';
export type { FeedSubscription } from './live/change-feed.js';
export type { FileFollower, FollowEvent, FollowStart } from './live/follower.js';

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
 * What the read routes use of a repository: RolloutRepository over a home, or team mode's over
 * PostgreSQL (src/team/read/team-repository.ts). `machines` (team mode) chooses among the
 * machines an id is on; a repository over one home refuses it.
 */
export type SessionRepository = Pick<
  RolloutRepository,
  | 'listPage'
  | 'openConversation'
  | 'openFile'
  | 'openRecords'
  | 'search'
  | 'searchSession'
  | 'usage'
  | 'sessionUsage'
  | 'exportSession'
  | 'transcriptPiece'
  | 'freshness'
  | 'leaseFor'
> & { findById(rawId: string, machines?: readonly string[]): Promise<RolloutFile> };

/** A parameter of team mode (src/team/read), asked of a repository over one home. */
const teamOnly = (name: string) => new RolloutError(RolloutErrorKind.InvalidQuery, `${name} applies in team mode only (--database-url)`);

function ambiguous(id: string, files: RolloutFile[]): RolloutError {
  return new RolloutError(RolloutErrorKind.AmbiguousId, `${files.length} files claim id ${id}: ${files.map((f) => f.relPath).join(', ')}`);
}

/**
 * The rollout repository: pages of sessions, lookups by id, whole sessions, search and usage,
 * from the tree or, where it helps, from the metadata index; `live` follows the tree as it
 * changes. It returns values or throws a RolloutError.
 */
export class RolloutRepository {
  readonly codexHome: string;
  readonly source: AnySource;
  private readonly limits: ReadLimits;
  private readonly walker: SessionWalker;
  private readonly names: SessionNameBook;
  private readonly index: MetadataIndex | null;
  private readonly cache: ListingCache;
  readonly memory: MemoryBudget;
  /** What the service is doing without right now (unreadable directories, names, the index): /readyz lists it. */
  readonly degraded: Degradations;
  readonly live: LiveTree;
  readonly prices: PriceBook;
  /** What search requests examined and how many run (tests see an abandoned search stop). */
  readonly searchMeter: SearchMeter = { examined: 0, active: 0 };

  constructor(private readonly options: RepositoryOptions) {
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
  private async env(): Promise<ReadEnv> {
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
  private async summarize(file: RolloutFile): Promise<SessionSummary | null> {
    const summary = (await this.cache.read(file, 0, 0, await this.env(), this.options.log))?.read?.summary;
    if (summary === undefined) return null;
    return { ...summary, name: (await this.names.load()).get(summary.id) || null };
  }

  indexProgress(): IndexProgress {
    const none = { state: 'disabled', reason: null, complete: false, filesInIndex: 0, filesCheckedThisPass: 0, lastPassMs: null } as const;
    return this.index?.progress() ?? none;
  }

  /** Resolves when the index's current work (if any) is done: for tests and benchmarks. */
  async indexIdle(): Promise<void> {
    await this.index?.idle();
  }

  /** One page of sessions strictly after `query.cursor` (see listing/list-page.ts). */
  async listPage(query: ListQuery, log: RolloutLogger = this.options.log, lease?: Lease): Promise<ConversationsPage> {
    if (query.machine !== undefined) throw teamOnly('machine');
    const page = await listPage(await this.readDeps(), query, await this.names.load(), log, lease);
    return { ...page, items: await this.withUsage(page.items) };
  }

  /** What pages, search and usage read with: files for listings through the cache. */
  private async readDeps(): Promise<SearchDeps & UsageDeps> {
    const { walker, index, prices, cache } = this;
    const env = await this.env();
    const readListing: ReadListing = (file, head, tail, log) => cache.read(file, head, tail, env, log);
    return { walker, index, readListing, env, prices, maxScanFiles: this.options.maxScanFiles, log: this.options.log };
  }

  /** The work of one search request: its budget, and `signal` (the client went away) to stop it. */
  private searchWork(signal?: AbortSignal): SearchWork {
    return new SearchWork(this.options.searchBudgetChars ?? DEFAULT_SEARCH_BUDGET_CHARS, this.searchMeter, signal);
  }

  /** One page of the sessions whose text holds `request.q` (see search/search-pages.ts); stops when `signal` aborts. */
  async search(request: SearchRequest, log: RolloutLogger = this.options.log, signal?: AbortSignal): Promise<SearchPage> {
    if (request.machine !== undefined) throw teamOnly('machine');
    const work = this.searchWork(signal);
    const page = await work.run(async () => searchPage(await this.readDeps(), request, await this.names.load(), log, work));
    return { ...page, items: await this.withUsage(page.items) };
  }

  /** The matching records of one session, in file order; stops when `signal` aborts. */
  async searchSession(
    file: RolloutFile,
    request: SessionSearchRequest,
    signal?: AbortSignal,
  ): Promise<Awaited<ReturnType<typeof searchSession>>> {
    const work = this.searchWork(signal);
    return work.run(async () => searchSession(await this.readDeps(), file, request, work));
  }

  /** The summaries with their `usage` from the index: null for sessions it has not read yet, and for all without an index. */
  private async withUsage<T extends SessionSummary>(items: T[]): Promise<T[]> {
    if (this.index === null || items.length === 0) return items;
    const found = await this.index.usageOf(items.map((i) => i.path));
    return items.map((item) => {
      const models = found.get(item.path);
      return { ...item, usage: models === undefined ? null : usageSummary(models, this.prices) };
    });
  }

  /** The one rollout file for `rawId`, in `sessions/` or `archived_sessions/`. */
  async findById(rawId: string, machines?: readonly string[]): Promise<RolloutFile> {
    if (machines !== undefined) throw teamOnly('machine');
    if (!UUID.test(rawId)) throw new RolloutError(RolloutErrorKind.InvalidId, 'id must be a UUID');
    const id = rawId.toLowerCase();
    const files = await this.filesOf(id);
    if (files.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    if (files.length > 1) throw ambiguous(id, files);
    return files[0]!;
  }

  /** The files that claim `id` (lower case). The index may not know a file newer than its last update: then the disk is searched. */
  private async filesOf(id: string): Promise<RolloutFile[]> {
    const files = this.index?.usable ? await this.existing(await this.index.lookup(id)) : [];
    return files.length > 0 ? files : this.source.filesClaiming(this.walker, id);
  }

  /** The index's files that are still there, as the walk would take them: regular files whose real path is inside the home. */
  private async existing(files: RolloutFile[]): Promise<RolloutFile[]> {
    const { realHome } = await this.walker.roots();
    const kinds = await Promise.all(files.map((f) => pathKind(f.absPath, realHome)));
    return files.filter((_, i) => kinds[i] === 'file');
  }

  /** Opens the session for reading; a file without a readable meta still gets a summary from its name. */
  async openConversation(file: RolloutFile, log: RolloutLogger = this.options.log): Promise<OpenConversation> {
    const name = (await this.names.load()).get(file.id) || null;
    const conversation = await this.source.openConversation(file, name, await this.env(), log);
    conversation.summary = (await this.withUsage([conversation.summary]))[0] ?? conversation.summary;
    return conversation;
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

  /**
   * Token usage and cost of one session, read from its file by the rules of the list and GET
   * /usage (docs/usage.md). With a `lease` (the request's share of the memory budget, taken for
   * kind 'usage'), what the count holds past COUNT_ALLOWANCE (a digest per distinct response, the
   * threads, the tallies) is taken from the budget too as it grows (Lease.grow).
   */
  async sessionUsage(file: RolloutFile, lease?: Lease, signal?: AbortSignal): Promise<SessionUsage> {
    const deps = await this.readDeps();
    const rule6 = {
      sessionExists: (id: string) => this.sessionExists(id),
      carriedByOlder: (keys: ReadonlySet<string>) => keysCarriedByOlder(deps, file, keys),
    };
    return readSessionUsage(file, deps.env, this.prices, rule6, leaseMemory(lease, signal));
  }

  /** Counted usage of the whole home, grouped (docs/usage.md, `GET /usage`; see usage/usage-report.ts). */
  async usage(request: UsageQuery): Promise<UsageReport> {
    const { groupBy, machine } = request;
    if (groupBy === 'machine' || machine !== undefined) throw teamOnly('machine');
    return usageReport(await this.readDeps(), { ...request, groupBy });
  }

  /** What an export's header shows: the summary, and usage from the index or, without it, counted from the file. */
  private async transcriptHeader(file: RolloutFile): Promise<TranscriptHeader> {
    const conversation = await this.openConversation(file);
    await conversation.close();
    const { summary } = conversation;
    if (summary.usage !== null) return { summary, models: summary.usage.models, totals: summary.usage };
    const counted = await this.sessionUsage(file);
    return { summary, models: Object.keys(counted.byModel), totals: counted.totals };
  }

  /**
   * The session as Markdown or HTML (docs/export.md), produced while it is sent: one record in memory
   * at a time (see transcript/export.ts). The caller closes it when the body is done.
   */
  async exportSession(
    file: RolloutFile,
    request: ExportRequest,
  ): Promise<TranscriptExport & { summary: SessionSummary; close(): Promise<void> }> {
    const header = await this.transcriptHeader(file);
    const opened = await this.openFile(file);
    return { ...exportTranscript(opened, header, request, await this.env()), summary: header.summary, close: () => opened.close() };
  }

  /** A piece of the session's Markdown transcript from `cursor`, at most `maxBytes` long, and the cursor of the rest. */
  async transcriptPiece(
    file: RolloutFile,
    request: TranscriptOptions & { cursor?: string | undefined; maxBytes: number; redact: boolean },
  ): Promise<TranscriptPiece> {
    const opened = await this.openFile(file);
    try {
      const position = await decodeTranscriptCursor(request.cursor, opened);
      const header = position.offset === 0 ? await this.transcriptHeader(file) : null;
      return await transcriptPiece(opened, header, position, request, await this.env());
    } finally {
      await opened.close();
    }
  }

  /** Whether a session file with `id` exists (rule 6 gives a response to the session named by its thread id). */
  private async sessionExists(id: string): Promise<boolean> {
    return UUID.test(id) && (await this.filesOf(id.toLowerCase())).length > 0;
  }

  /** Readiness: whether the Codex home is there, can be read and has a sessions/ directory. */
  async homeState(): Promise<HomeState> {
    return this.source.homeState(this.codexHome);
  }
}
