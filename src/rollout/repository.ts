import { access, constants, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RolloutError, RolloutErrorKind } from './errors.js';
import { UUID } from './files/filename.js';
import { filesClaiming } from './files/lookup.js';
import { TreeWalker } from './files/tree-walk.js';
import type { IndexFactory, IndexProgress, MetadataIndex } from './index/metadata-index.js';
import { decodePosition } from './listing/cursor.js';
import { containsFolded, hasFilter, parseFilter } from './listing/filters.js';
import { DEFAULT_LISTING_CACHE, ListingCache, type ListingCacheOptions } from './listing/listing-cache.js';
import { listEvaluator, type ListPlan, type ReadListing } from './listing/list-items.js';
import { collectPage, type CandidateSource, type Page } from './listing/page-loop.js';
import { byUpdateSource, walkSource } from './listing/scan-source.js';
import { ChangeFeed, wants, type FeedSubscription } from './live/change-feed.js';
import type { EventLogOptions, FeedEvent } from './live/event-log.js';
import { FileFollower, type FollowStart } from './live/follower.js';
import { WatchHub } from './live/watch-hub.js';
import { openConversation, type OpenConversation } from './reading/conversation.js';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './reading/session-reader.js';
import { SessionNames } from './reading/session-names.js';
import type { ConversationItem, ConversationsPage, ListQuery, RolloutFile, RolloutLogger, SessionSummary } from './types.js';
import {
  searchPage,
  searchSession,
  type SearchPage,
  type SearchRequest,
  type SessionSearchRequest,
} from './search/search-pages.js';
import { PriceBook } from './usage/pricing.js';
import { usageSummary } from './usage/tally.js';
import { readSessionUsage, type SessionUsage } from './usage/session-usage.js';
import { usageReport, type UsageDeps, type UsageReport, type UsageRequest } from './usage/usage-report.js';

export type { OpenConversation, RecordEvent } from './reading/conversation.js';
export type { FeedEvent } from './live/event-log.js';
export type { FeedSubscription } from './live/change-feed.js';
export type { FileFollower, FollowEvent, FollowStart } from './live/follower.js';

export interface RepositoryOptions {
  codexHome: string;
  /** Files a single list request may examine past its cursor. */
  maxScanFiles: number;
  limits?: Partial<ReadLimits>;
  log: RolloutLogger;
  /** Makes the metadata index (e.g. sqliteIndex(...)); null or absent: scan only. */
  index?: IndexFactory | null;
  /** The in-memory cache of listing reads (default 32 MiB, 20,000 files); maxBytes 0 turns it off. */
  listingCache?: Partial<ListingCacheOptions>;
  /** The change log that /events replays from (default: the last 10,000 changes). */
  eventLog?: EventLogOptions;
  /** How often a follower looks at its file even without a watch event (default 1 s). */
  followPollMs?: number;
  /** The prices usage is costed with (default: the built-in table). */
  prices?: PriceBook;
}

/** Times a page is asked of the index again after one of its records proved stale. */
const STALE_RETRIES = 3;

function ambiguous(id: string, files: RolloutFile[]): RolloutError {
  return new RolloutError(RolloutErrorKind.AmbiguousId, `${files.length} files claim id ${id}: ${files.map((f) => f.relPath).join(', ')}`);
}

/**
 * The rollout repository: pages of sessions, lookups by id and whole sessions, from the tree
 * or, where it helps, from the metadata index. It returns values or throws a RolloutError.
 */
export class RolloutRepository {
  readonly codexHome: string;
  private readonly limits: ReadLimits;
  private readonly walker: TreeWalker;
  private readonly names: SessionNames;
  private readonly index: MetadataIndex | null;
  private readonly readListing: ReadListing;
  private readonly hub: WatchHub;
  private readonly feed: ChangeFeed;
  readonly prices: PriceBook;

  constructor(private readonly options: RepositoryOptions) {
    this.codexHome = resolve(options.codexHome);
    this.limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
    this.walker = new TreeWalker(this.codexHome);
    this.names = new SessionNames(this.codexHome);
    const cache = new ListingCache({ ...DEFAULT_LISTING_CACHE, ...options.listingCache });
    this.readListing = (file, head, tail, log) => cache.read(file, head, tail, this.limits, log);
    this.prices = options.prices ?? new PriceBook();
    this.feed = new ChangeFeed(
      {
        summarize: (file) => this.summarize(file),
        lastSummary: (file) => cache.lastSummary(file.absPath),
        names: () => this.names.load(),
        filesOf: (id) => this.filesOf(id),
        fileAt: (relPath) => this.walker.fileAt(relPath),
        log: options.log,
      },
      options.eventLog,
    );
    // One watcher feeds everyone: the index (which starts it) and the change feed.
    this.hub = new WatchHub(this.walker, options.log, () => this.feed.prime());
    const deps = { walker: this.walker, limits: this.limits, log: options.log, watch: this.hub, changed: () => this.hub.bumpIndex() };
    this.index = options.index ? options.index(deps) : null;
    // The feed reads the changed files for their summaries: on its own chain, so that index
    // queries (which wait for the watcher's reports to be taken in) do not wait for it too.
    let feeding = Promise.resolve();
    this.hub.listen((changes) => {
      feeding = feeding.then(() => this.feed.take(changes)).catch((err) => options.log.warn({ err }, 'the change feed failed'));
    });
  }

  /** Starts the background index build (if an index is configured); returns at once. */
  start(): void {
    this.index?.start();
  }

  async close(): Promise<void> {
    await this.index?.close();
    await this.hub.close();
  }

  /**
   * A token that changes whenever anything a response built from the tree (and, with
   * `usesIndex`, the index) may show has changed: the tree, the names file, the index. Null
   * while no complete watch of the tree guarantees that. Costs no I/O: HTTP caching asks it
   * before building. List pages use the index too (their usage figures).
   */
  freshness(usesIndex: boolean): string | null {
    return this.hub.version(usesIndex && this.index !== null);
  }

  /** Starts watching the tree if nothing has yet (no index): live streams need it. Resolves once it is watched. */
  watchTree(): Promise<void> {
    return this.hub.start();
  }

  /**
   * Delivers every change of the tree that `sub` wants (call watchTree() first, so that the
   * changes from now on are all seen) to `deliver`, after those since
   * `lastId` (or a `reset`, see EventLog.subscribe). Returns the unsubscribe function.
   */
  subscribeChanges(sub: FeedSubscription, lastId: number | null, deliver: (event: FeedEvent) => void): () => void {
    return this.feed.log.subscribe(lastId, (event) => {
      if (wants(sub, event)) deliver(event);
    });
  }

  /** The id of the newest change (what a new /events subscriber has seen). */
  lastChangeId(): number {
    return this.feed.log.lastId;
  }

  /** Follows one session's file like tail -f (see FileFollower). The caller closes it. */
  async follow(file: RolloutFile, start: FollowStart): Promise<FileFollower> {
    await this.watchTree();
    return FileFollower.open(file, this.walker, start, {
      maxLineBytes: this.limits.maxLineBytes,
      pollMs: this.options.followPollMs ?? 1000,
      onEvent: (relPath, wake) => this.hub.onPath(relPath, wake),
    });
  }

  /** A file's summary with its user-set name; null when it is not a session (yet) or cannot be read. */
  private async summarize(file: RolloutFile): Promise<SessionSummary | null> {
    const summary = (await this.readListing(file, 0, 0, this.options.log))?.read?.summary;
    if (summary === undefined) return null;
    return { ...summary, name: (await this.names.load()).get(summary.id) || null };
  }

  indexProgress(): IndexProgress {
    return this.index?.progress() ?? { state: 'disabled', complete: false, filesInIndex: 0, filesCheckedThisPass: 0, lastPassMs: null };
  }

  /** Resolves when the index's current work (if any) is done: for tests and benchmarks. */
  async indexIdle(): Promise<void> {
    await this.index?.idle();
  }

  /**
   * One page of sessions strictly after `query.cursor`. sort=created without filters walks the
   * tree and reads files only until the page is full plus a look-ahead; sort=updated and
   * filters use the metadata index when it is complete, and a full scan otherwise.
   */
  async listPage(query: ListQuery, log: RolloutLogger = this.options.log): Promise<ConversationsPage> {
    const page = await this.pageOf(query, log);
    return { ...page, items: await this.withUsage(page.items) };
  }

  private async pageOf(query: ListQuery, log: RolloutLogger): Promise<ConversationsPage> {
    const sort = query.sort ?? 'created';
    const filter = parseFilter(query);
    const after = query.cursor === undefined ? undefined : decodePosition(query.cursor, sort, query.order);
    const plan: ListPlan = { ...query, sort, filter, after, names: await this.names.load(), log };
    if ((sort === 'updated' || hasFilter(filter)) && this.index?.usable) {
      const page = await this.pageFromIndex(this.index, plan, query);
      if (page !== null) return page;
    }
    const { maxScanFiles } = this.options;
    const source =
      sort === 'created'
        ? walkSource(this.walker, plan, filter, query.archived, maxScanFiles)
        : await byUpdateSource(this.walker, query.archived, query.order, maxScanFiles);
    return this.collect(plan, source);
  }

  private async collect(plan: ListPlan, source: CandidateSource): Promise<ConversationsPage> {
    const outcome = await collectPage(plan, source, listEvaluator(plan, this.readListing));
    if ('page' in outcome) return outcome.page;
    throw new Error('a scan page cannot go stale'); // only index candidates carry stamps
  }

  /**
   * A page from the index. A record the page finds stale is re-indexed and the query asked
   * again; null (scan instead) if the index keeps changing under it.
   */
  private async pageFromIndex(index: MetadataIndex, plan: ListPlan, query: ListQuery): Promise<Page<ConversationItem> | null> {
    const { filter, names } = plan;
    const nameMatchIds = filter.q === undefined ? [] : [...names].filter(([, n]) => containsFolded(n, filter.q!)).map(([id]) => id);
    for (let attempt = 0; attempt < STALE_RETRIES; attempt++) {
      const source = await index.candidates({ ...query, sort: plan.sort, filter, nameMatchIds, after: plan.after, limit: query.limit + 1 });
      const outcome = await collectPage(plan, source, listEvaluator(plan, this.readListing));
      if ('page' in outcome) return outcome.page;
      await index.refresh(outcome.stale);
    }
    plan.log.debug({}, 'index kept changing under the query; scanning instead');
    return null;
  }

  private get readDeps(): UsageDeps {
    const { walker, index, readListing, limits, prices } = this;
    return { walker, index, readListing, limits, prices, maxScanFiles: this.options.maxScanFiles, log: this.options.log };
  }

  /** One page of the sessions whose text holds `request.q` (see search/search-pages.ts). */
  async search(request: SearchRequest, log: RolloutLogger = this.options.log): Promise<SearchPage> {
    const page = await searchPage(this.readDeps, request, await this.names.load(), log);
    return { ...page, items: await this.withUsage(page.items) };
  }

  /** The matching records of one session, in file order. */
  async searchSession(file: RolloutFile, request: SessionSearchRequest): Promise<ReturnType<typeof searchSession>> {
    return searchSession(this.readDeps, file, request);
  }

  /**
   * The summaries with their `usage` from the index: null for sessions it has not read yet,
   * and for all without an index.
   */
  private async withUsage<T extends SessionSummary>(items: T[]): Promise<T[]> {
    if (this.index === null || items.length === 0) return items;
    const found = await this.index.usageOf(items.map((i) => i.path));
    return items.map((item) => {
      const models = found.get(item.path);
      return { ...item, usage: models === undefined ? null : usageSummary(models, this.prices) };
    });
  }

  /** The one rollout file for `rawId`, in `sessions/` or `archived_sessions/`. */
  async findById(rawId: string): Promise<RolloutFile> {
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
    return files.length > 0 ? files : filesClaiming(this.walker, id);
  }

  private async existing(files: RolloutFile[]): Promise<RolloutFile[]> {
    return (await Promise.all(files.map((f) => stat(f.absPath).then(() => f, () => null)))).filter((f) => f !== null);
  }

  /** Opens the session for reading; a file without a readable meta still gets a summary from its name. */
  async openConversation(file: RolloutFile, log: RolloutLogger = this.options.log): Promise<OpenConversation> {
    const name = (await this.names.load()).get(file.id) || null;
    const conversation = await openConversation(file, name, this.limits, log);
    conversation.summary = (await this.withUsage([conversation.summary]))[0] ?? conversation.summary;
    return conversation;
  }

  /** Token usage and cost of one session, read from its file (SPEC §6). */
  async sessionUsage(file: RolloutFile): Promise<SessionUsage> {
    return readSessionUsage(file, this.limits, this.prices, (id) => this.sessionExists(id));
  }

  /** Counted usage of the whole home, grouped (SPEC §6, `GET /usage`; see usage/usage-report.ts). */
  async usage(request: UsageRequest): Promise<UsageReport> {
    return usageReport(this.readDeps, request);
  }

  /** Whether a session file with `id` exists (rule 6 gives a response to the session named by its thread id). */
  private async sessionExists(id: string): Promise<boolean> {
    return UUID.test(id) && (await this.filesOf(id.toLowerCase())).length > 0;
  }

  /** Readiness: the Codex home exists and can be read. */
  async isReadable(): Promise<boolean> {
    try {
      await access(this.codexHome, constants.R_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
}
