import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Degradations } from './degraded.js';
import { RolloutError, RolloutErrorKind, scanFailed } from './errors.js';
import { UUID } from './files/filename.js';
import { isMissingOrUnsafe, pathKind } from './files/fs-safety.js';
import { filesClaiming } from './files/lookup.js';
import { TreeWalker } from './files/tree-walk.js';
import type { IndexFactory, IndexProgress, MetadataIndex } from './index/metadata-index.js';
import { decodePosition } from './listing/cursor.js';
import { containsFolded, hasFilter, parseFilter } from './listing/filters.js';
import { DEFAULT_LISTING_CACHE, ListingCache, type ListingCacheOptions } from './listing/listing-cache.js';
import { collectPage, MAX_PARALLEL_READS, type CandidateSource, type PagePlan, type ReadListing } from './listing/page-loop.js';
import { byUpdateSource, walkSource } from './listing/scan-source.js';
import { CHUNK } from './reading/byte-source.js';
import { DEFAULT_BUDGET_WAIT_MS, DEFAULT_MEMORY_BUDGET_BYTES, Lease, MemoryBudget } from './reading/byte-budget.js';
import { openConversation, type OpenConversation } from './reading/conversation.js';
import { recordChunks } from './reading/jsonl-lines.js';
import {
  DEFAULT_READ_LIMITS,
  openRollout,
  readWorkingSet,
  type OpenRollout,
  type ReadEnv,
  type ReadLimits,
} from './reading/session-reader.js';
import { SessionNames } from './reading/session-names.js';
import type { ConversationsPage, ListQuery, RecordOrigin, RecordText, RolloutFile, RolloutLogger } from './types.js';

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
  /** The memory budget for session content in flight (default 256 MiB, 30 s wait). */
  memory?: MemoryBudget;
}

/** Reads the records of a page item that were left in its file. */
export interface RecordReader {
  textOf(text: RecordText): AsyncGenerator<Buffer>;
  close(): Promise<void>;
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
  private readonly cache: ListingCache;
  readonly memory: MemoryBudget;
  /** What the service is doing without right now (unreadable directories, names, the index): /readyz lists it. */
  readonly degraded: Degradations;

  constructor(private readonly options: RepositoryOptions) {
    this.codexHome = resolve(options.codexHome);
    this.limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
    this.memory = options.memory ?? new MemoryBudget(DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_BUDGET_WAIT_MS);
    this.degraded = new Degradations(options.log);
    this.walker = new TreeWalker(this.codexHome, this.degraded);
    this.names = new SessionNames(this.codexHome, this.degraded);
    this.cache = new ListingCache({ ...DEFAULT_LISTING_CACHE, ...options.listingCache });
    const env = async (): Promise<ReadEnv> => ({ ...(await this.env()), waitMs: Number.POSITIVE_INFINITY }); // background: no rush
    this.index = options.index
      ? options.index({ walker: this.walker, limits: this.limits, log: options.log, env, degraded: this.degraded })
      : null;
  }

  /** What every read needs: the home's real path, the limits and the memory budget. */
  private async env(): Promise<ReadEnv> {
    return { realRoot: (await this.walker.roots()).realHome, limits: this.limits, budget: this.memory };
  }

  /**
   * A request's share of the memory budget, taken before it reads anything (waiting for room;
   * Busy after the budget's wait): a list page reads up to 16 files at once, a JSON session one
   * file into a bounded body, raw bytes one chunk at a time. Release it when the response is done.
   * A wait ends at once when `signal` aborts (the client went away).
   */
  async leaseFor(kind: 'list' | 'conversation' | 'bytes', limit = 0, signal?: AbortSignal): Promise<Lease> {
    const perRead = readWorkingSet(this.limits);
    const reads = kind === 'list' ? Math.min(MAX_PARALLEL_READS, limit + 1) : kind === 'conversation' ? 1 : 0;
    const bytes = reads * perRead + (kind === 'list' ? 0 : 2 * CHUNK);
    const lease = new Lease(this.memory.requests);
    await lease.take(bytes, signal);
    return lease;
  }

  /** Starts the background index build (if an index is configured); returns at once. */
  start(): void {
    this.index?.start();
  }

  async close(): Promise<void> {
    await this.index?.close();
  }

  indexProgress(): IndexProgress {
    return (
      this.index?.progress() ?? {
        state: 'disabled',
        reason: null,
        complete: false,
        filesInIndex: 0,
        filesCheckedThisPass: 0,
        lastPassMs: null,
      }
    );
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
  async listPage(query: ListQuery, log: RolloutLogger = this.options.log, lease?: Lease): Promise<ConversationsPage> {
    const sort = query.sort ?? 'created';
    const filter = parseFilter(query);
    const after = query.cursor === undefined ? undefined : decodePosition(query.cursor, sort, query.order);
    const env = await this.env();
    const readListing: ReadListing = (file, head, tail, readLog) => this.cache.read(file, head, tail, env, readLog);
    const plan: PagePlan = { ...query, sort, filter, after, names: await this.names.load(), log, lease, readListing };
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
    const outcome = await collectPage(plan, source);
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
      if (source === null) return null;
      const outcome = await collectPage(plan, source);
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
    // The index may not know a file newer than its last update: then the disk is searched.
    let files = this.index?.usable ? await this.existing(await this.index.lookup(id)) : [];
    if (files.length === 0) files = await filesClaiming(this.walker, id);
    if (files.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    if (files.length > 1) throw ambiguous(id, files);
    return files[0]!;
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
    return openConversation(file, name, await this.env(), log);
  }

  /** Opens a rollout's bytes: only a regular file inside the home, proven on the descriptor (else NotFound). */
  async openFile(file: RolloutFile): Promise<OpenRollout> {
    try {
      return await openRollout(file, (await this.walker.roots()).realHome);
    } catch (err) {
      if (isMissingOrUnsafe(err)) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
      throw scanFailed(`cannot open ${file.relPath}`, err);
    }
  }

  /**
   * Opens the file a page item's records that were not held are read from, checked to be the
   * file the listing read (same device and inode, at least as long: rollouts only grow). Throws
   * when it is not: the body cannot be finished, and the caller ends the response.
   */
  async openRecords(origin: RecordOrigin): Promise<RecordReader> {
    const opened = await this.openFile(origin.file);
    const { stat } = opened;
    if (stat.dev !== origin.dev || stat.ino !== origin.ino || stat.size < origin.size) {
      await opened.close();
      throw scanFailed(`${origin.file.relPath} changed while its page was sent`, null);
    }
    return { textOf: (text) => recordChunks(opened.source, text), close: () => opened.close() };
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
