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
import { collectPage, type CandidateSource, type PagePlan, type ReadListing } from './listing/page-loop.js';
import { byUpdateSource, walkSource } from './listing/scan-source.js';
import { openConversation, type OpenConversation } from './reading/conversation.js';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './reading/session-reader.js';
import { SessionNames } from './reading/session-names.js';
import type { ConversationsPage, ListQuery, RolloutFile, RolloutLogger } from './types.js';
import { PriceBook } from './usage/pricing.js';
import { readSessionUsage, type SessionUsage } from './usage/session-usage.js';

export type { OpenConversation, RecordEvent } from './reading/conversation.js';

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
  readonly prices: PriceBook;

  constructor(private readonly options: RepositoryOptions) {
    this.codexHome = resolve(options.codexHome);
    this.limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
    this.walker = new TreeWalker(this.codexHome);
    this.names = new SessionNames(this.codexHome);
    const cache = new ListingCache({ ...DEFAULT_LISTING_CACHE, ...options.listingCache });
    this.readListing = (file, head, tail, log) => cache.read(file, head, tail, this.limits, log);
    this.prices = options.prices ?? new PriceBook();
    this.index = options.index ? options.index({ walker: this.walker, limits: this.limits, log: options.log }) : null;
  }

  /** Starts the background index build (if an index is configured); returns at once. */
  start(): void {
    this.index?.start();
  }

  async close(): Promise<void> {
    await this.index?.close();
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
    const sort = query.sort ?? 'created';
    const filter = parseFilter(query);
    const after = query.cursor === undefined ? undefined : decodePosition(query.cursor, sort, query.order);
    const plan: PagePlan = { ...query, sort, filter, after, names: await this.names.load(), log };
    if ((sort === 'updated' || hasFilter(filter)) && this.index?.usable) {
      const page = await this.pageFromIndex(this.index, plan, query);
      if (page !== null) return page;
    }
    const { maxScanFiles } = this.options;
    const source =
      sort === 'created'
        ? walkSource(this.walker, plan, query.archived, maxScanFiles)
        : await byUpdateSource(this.walker, query.archived, query.order, maxScanFiles);
    return this.collect(plan, source);
  }

  private async collect(plan: PagePlan, source: CandidateSource): Promise<ConversationsPage> {
    const outcome = await collectPage(plan, source, this.readListing);
    if ('page' in outcome) return outcome.page;
    throw new Error('a scan page cannot go stale'); // only index candidates carry stamps
  }

  /**
   * A page from the index. A record the page finds stale is re-indexed and the query asked
   * again; null (scan instead) if the index keeps changing under it.
   */
  private async pageFromIndex(index: MetadataIndex, plan: PagePlan, query: ListQuery): Promise<ConversationsPage | null> {
    const { filter, names } = plan;
    const nameMatchIds = filter.q === undefined ? [] : [...names].filter(([, n]) => containsFolded(n, filter.q!)).map(([id]) => id);
    for (let attempt = 0; attempt < STALE_RETRIES; attempt++) {
      const source = await index.candidates({ ...query, sort: plan.sort, filter, nameMatchIds, after: plan.after, limit: query.limit + 1 });
      const outcome = await collectPage(plan, source, this.readListing);
      if ('page' in outcome) return outcome.page;
      await index.refresh(outcome.stale);
    }
    plan.log.debug({}, 'index kept changing under the query; scanning instead');
    return null;
  }

  /** The one rollout file for `rawId`, in `sessions/` or `archived_sessions/`. */
  async findById(rawId: string): Promise<RolloutFile> {
    if (!UUID.test(rawId)) throw new RolloutError(RolloutErrorKind.InvalidId, 'id must be a UUID');
    const id = rawId.toLowerCase();
    const files = await this.filesFor(id);
    if (files.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    if (files.length > 1) throw ambiguous(id, files);
    return files[0]!;
  }

  /** The files claiming `id` (lower case): from the index, or the disk when the index has none (it may lag behind). */
  private async filesFor(id: string): Promise<RolloutFile[]> {
    const files = this.index?.usable ? await this.existing(await this.index.lookup(id)) : [];
    return files.length > 0 ? files : filesClaiming(this.walker, id);
  }

  private async existing(files: RolloutFile[]): Promise<RolloutFile[]> {
    return (await Promise.all(files.map((f) => stat(f.absPath).then(() => f, () => null)))).filter((f) => f !== null);
  }

  /** Opens the session for reading; a file without a readable meta still gets a summary from its name. */
  async openConversation(file: RolloutFile, log: RolloutLogger = this.options.log): Promise<OpenConversation> {
    const name = (await this.names.load()).get(file.id) || null;
    return openConversation(file, name, this.limits, log);
  }

  /** Token usage and cost of one session, read from its file (SPEC §6). */
  async sessionUsage(file: RolloutFile): Promise<SessionUsage> {
    return readSessionUsage(file, this.limits, this.prices, (id) => this.sessionExists(id));
  }

  /** Whether a session file with `id` exists (rule 6 gives a response to the session named by its thread id). */
  private async sessionExists(id: string): Promise<boolean> {
    return UUID.test(id) && (await this.filesFor(id.toLowerCase())).length > 0;
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
