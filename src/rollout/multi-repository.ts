import type { Degradations } from './degraded.js';
import { RolloutError, RolloutErrorKind } from './errors.js';
import type { IndexProgress } from './index/metadata-index.js';
import { decodePosition, encodePosition, positionCompare, type Position } from './listing/cursor.js';
import type { FeedEvent, FeedSubscription, FileFollower, FollowStart } from './repository.js';
import type { RolloutRepository, SessionRepository } from './repository.js';
import type { AgentName, HomeState } from './sources/source.js';
import type { ConversationsPage, FilterInput, ListQuery } from './types.js';
import type { RolloutFile, RolloutLogger, SessionSummary, SortField, SortOrder } from './types.js';
import type { Lease } from './reading/byte-budget.js';
import { wants } from './live/change-feed.js';
import { UUID } from './sources/common/fields.js';
import { EventLog, type EventLogOptions } from './live/event-log.js';
import { parseFilter } from './listing/filters.js';
import { emptyReport, mergeReports } from './usage/merge-reports.js';
import { checkTimeZone } from './usage/grouping.js';
import { RETRY_AFTER_S } from './tuning.js';

/** A served source for /readyz: which agent, and whether its home is there (`ready`) or why not. */
export interface SourceState {
  agent: AgentName;
  home: HomeState;
  /** The home's path (the start-up log names it; /readyz does not). */
  path: string;
}

/** The live side as the routes use it: the tree's change feed and the followers of one session. */
export interface LiveSide {
  watchTree(): Promise<void>;
  lastChangeId(): number;
  subscribe(sub: FeedSubscription, lastId: number | null, deliver: (event: FeedEvent) => void): () => void;
  follow(file: RolloutFile, start: FollowStart): Promise<FileFollower>;
}

const ORDER: Record<AgentName, number> = { codex: 0, claude: 1 };
const PROGRESS_RANK: Record<IndexProgress['state'], number> = { disabled: 0, ready: 1, building: 2, waiting: 3, rebuilding: 4, failed: 5 };

/**
 * The service over every served source: one RolloutRepository per source (its own home, walker,
 * listing cache, watcher and index rows), and this in front of them. Lists interleave the
 * sources' pages by their one keyset order (both sources' keys are `<stamp>|<uuid>`, so a cursor
 * means the same position to each); lookups ask every source; a file is read by the source it
 * belongs to. With one source it is that source's repository, unchanged.
 */
export class MultiRepository implements SessionRepository {
  readonly parts: readonly RolloutRepository[];
  /** The changes of every source, one sequence of ids (used with more than one source). */
  private readonly changes: EventLog;
  private relaying: Promise<void> | null = null;

  constructor(parts: readonly RolloutRepository[], eventLog?: EventLogOptions) {
    if (parts.length === 0) throw new Error('a service serves at least one source');
    this.changes = new EventLog(eventLog);
    this.parts = [...parts].sort((a, b) => ORDER[a.source.agent] - ORDER[b.source.agent]);
  }

  private get first(): RolloutRepository {
    return this.parts[0]!;
  }

  get codexHome(): string {
    return this.first.codexHome;
  }

  get searchMeter(): RolloutRepository['searchMeter'] {
    return this.first.searchMeter;
  }

  /** What every source is doing without, each line once. */
  get degraded(): Pick<Degradations, 'list'> {
    return { list: () => [...new Set(this.parts.flatMap((p) => p.degraded.list()))] };
  }

  /**
   * Live changes of every source. With one source, its own; with several, their changes are
   * relayed into one log of this service's (ids are that log's sequence, so replay by
   * Last-Event-ID stays exact), from the first watchTree() on. Following one session goes to
   * the source of its file.
   */
  get live(): LiveSide {
    if (this.parts.length === 1) return this.first.live;
    const log = this.changes;
    return {
      watchTree: () => (this.relaying ??= this.relay()),
      lastChangeId: () => log.lastId,
      subscribe: (sub, lastId, deliver) => log.subscribe(lastId, (event) => {
        if (wants(sub, event)) deliver(event);
      }),
      follow: (file, start) => this.partOf(file).live.follow(file, start),
    };
  }

  /** Watches every source's tree and copies each change (all of them, in any view) into the one log. */
  private async relay(): Promise<void> {
    const everything: FeedSubscription = { filter: parseFilter({}), archived: 'all' };
    await Promise.all(this.parts.map((p) => p.live.watchTree()));
    for (const part of this.parts) {
      part.live.subscribe(everything, null, (event) => {
        this.changes.append(event.change, event.session);
      });
    }
  }

  start(): void {
    for (const part of this.parts) part.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.close()));
  }

  /** The first source's home state (the start-up warning); sourceStates() has every source's. */
  homeState(): Promise<HomeState> {
    return this.first.homeState();
  }

  async sourceStates(): Promise<SourceState[]> {
    return Promise.all(this.parts.map(async (p) => ({ agent: p.source.agent, home: await p.homeState(), path: p.codexHome })));
  }

  /** The sources' index progress together: complete when every one is, the least ready state. */
  indexProgress(): IndexProgress {
    const all = this.parts.map((p) => p.indexProgress());
    if (all.length === 1) return all[0]!;
    const worst = all.reduce((a, b) => (PROGRESS_RANK[b.state] > PROGRESS_RANK[a.state] ? b : a));
    const passes = all.map((p) => p.lastPassMs);
    return {
      state: worst.state,
      reason: worst.reason,
      complete: all.every((p) => p.complete),
      filesInIndex: all.reduce((n, p) => n + p.filesInIndex, 0),
      filesCheckedThisPass: all.reduce((n, p) => n + p.filesCheckedThisPass, 0),
      lastPassMs: passes.some((ms) => ms === null) ? null : Math.max(...(passes as number[])),
    };
  }

  freshness(usesIndex: boolean): string | null {
    const versions = this.parts.map((p) => p.freshness(usesIndex));
    return versions.some((v) => v === null) ? null : versions.join('/');
  }

  leaseFor(...args: Parameters<RolloutRepository['leaseFor']>): ReturnType<RolloutRepository['leaseFor']> {
    return this.first.leaseFor(...args); // one memory budget serves every source
  }

  /** The source that owns a file (the one whose walker names it at its path). */
  partOf(file: RolloutFile): RolloutRepository {
    const part = this.parts.find((p) => p.owns(file));
    if (part === undefined) throw new RolloutError(RolloutErrorKind.NotFound, `no served source holds ${file.relPath}`);
    return part;
  }

  /** The sources a request's `agent` filter chooses (all without one). */
  chosen(filter: FilterInput): RolloutRepository[] {
    const { agent } = filter;
    return agent === undefined || agent.length === 0 ? [...this.parts] : this.parts.filter((p) => agent.includes(p.source.agent));
  }

  /**
   * The one file of `rawId` among every source. When a complete index holds the id, the other
   * sources with a complete index answer from it alone: their disk search for an id of another
   * agent is a walk of their whole tree (a Claude id names no Codex day). A source without a
   * complete index still searches its disk, and an id two indexes hold is still ambiguous.
   */
  async findById(rawId: string, machines?: readonly string[]): Promise<RolloutFile> {
    // One source, a machine choice or a malformed id: the first source answers (or refuses) alone.
    if (this.parts.length === 1 || machines !== undefined || !UUID.test(rawId)) return this.first.findById(rawId, machines);
    const id = rawId.toLowerCase();
    const indexed = await Promise.all(this.parts.map((p) => p.indexedFilesOf(id)));
    const anyIndexed = indexed.some((files) => files !== null && files.length > 0);
    const found: RolloutFile[] = [];
    for (const [i, part] of this.parts.entries()) {
      const known = indexed[i] ?? null;
      if (anyIndexed && known !== null) {
        found.push(...known);
        continue;
      }
      try {
        found.push(await part.findById(rawId, machines));
      } catch (err) {
        if (!(err instanceof RolloutError && err.kind === RolloutErrorKind.NotFound)) throw err;
      }
    }
    if (found.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${rawId.toLowerCase()}`);
    if (found.length > 1) {
      const paths = found.map((f) => f.relPath).join(', ');
      throw new RolloutError(RolloutErrorKind.AmbiguousId, `${found.length} files claim id ${rawId.toLowerCase()}: ${paths}`);
    }
    return found[0]!;
  }

  /** One page of every chosen source's sessions, interleaved in the one keyset order (see mergePages). */
  async listPage(query: ListQuery, log?: RolloutLogger, lease?: Lease): Promise<ConversationsPage> {
    const { agent: _agent, ...rest } = query;
    const parts = this.chosen(query);
    if (parts.length === 0) return { items: [], nextCursor: null, numScannedFiles: 0, reachedScanCap: false };
    const page =
      parts.length === 1
        ? await parts[0]!.listPage(rest, log, lease)
        : mergeListPages(await Promise.all(parts.map((p) => p.listPage(rest, log, lease))), parts, query);
    // Nothing to show but a source still being listed: an empty last page would say there is nothing.
    if (page.indexing === true && page.items.length === 0 && page.nextCursor === null) {
      const message = 'the Claude Code sessions are being listed for the first time (the index is building); retry shortly';
      throw new RolloutError(RolloutErrorKind.Unavailable, message, { retryAfterS: RETRY_AFTER_S.indexBuilding });
    }
    return page;
  }

  openConversation: SessionRepository['openConversation'] = (file, log) => this.partOf(file).openConversation(file, log);
  openFile: SessionRepository['openFile'] = (file) => this.partOf(file).openFile(file);
  openRecords: SessionRepository['openRecords'] = (origin) => this.partOf(origin.file).openRecords(origin);
  searchSession: SessionRepository['searchSession'] = (file, request, signal) => this.partOf(file).searchSession(file, request, signal);
  sessionUsage: SessionRepository['sessionUsage'] = (file, lease, signal) => this.partOf(file).sessionUsage(file, lease, signal);
  exportSession: SessionRepository['exportSession'] = (file, request) => this.partOf(file).exportSession(file, request);
  transcriptPiece: SessionRepository['transcriptPiece'] = (file, request) => this.partOf(file).transcriptPiece(file, request);

  /** Search over every chosen source, interleaved as the list is (mergePages). */
  search: SessionRepository['search'] = async (request, log, signal) => {
    const { agent: _agent, ...rest } = request;
    const parts = this.chosen(request);
    if (parts.length === 0) return { items: [], nextCursor: null, reachedScanCap: false };
    if (parts.length === 1) return parts[0]!.search(rest, log, signal);
    const pages = await Promise.all(parts.map((p) => p.search(rest, log, signal)));
    const merged = mergePages(sourcedPages(pages, parts), request.sort ?? 'created', request.order, request.limit);
    return { ...merged, reachedScanCap: pages.some((page) => page.reachedScanCap) };
  };

  /**
   * Usage of every chosen source: each counted by its own rules (docs/usage.md, "Both agents"),
   * in the one layout, the rows merged by key (a day both agents spent on is one row).
   */
  usage: SessionRepository['usage'] = async (request, signal) => {
    const { agent: _agent, ...rest } = request;
    const parts = this.chosen(request);
    if (parts.length === 1) return parts[0]!.usage(rest, signal);
    // An agent not served has no usage (as the list gives nothing).
    if (parts.length === 0) return emptyReport(rest.groupBy, checkTimeZone(rest.tz), this.first.prices.pricingOf(request.agent ?? []));
    const reports = await Promise.all(parts.map((p) => p.usage({ ...rest, limit: Number.MAX_SAFE_INTEGER }, signal)));
    return mergeReports(reports, request.limit, this.first.prices.pricingOf(parts.map((p) => p.source.agent)));
  };
}

interface SourcePage<T> {
  page: { items: T[]; nextCursor: string | null };
  keyOf(item: T): string;
}

/**
 * Interleaves the sources' pages, all asked with the same cursor. Each source's page covers its
 * sessions up to its `nextCursor` (its frontier; null: none left), so the merged page may only
 * hold items up to the nearest frontier: past it, the source that stopped there (its scan cap,
 * or its full page) may still have items that sort earlier. The merged cursor is the last item
 * served when the page is full, else that frontier (a page may then be short, or empty, with a
 * cursor: "there may be more").
 */
export function mergePages<T extends { updatedAt: string }>(
  pages: readonly SourcePage<T>[],
  sort: SortField,
  order: SortOrder,
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const sign = order === 'desc' ? -1 : 1;
  const cmp = (a: Position, b: Position) => sign * positionCompare(a, b, sort);
  let bound: Position | null = null;
  for (const { page } of pages) {
    if (page.nextCursor === null) continue;
    const at = decodePosition(page.nextCursor, sort, order);
    if (bound === null || cmp(at, bound) < 0) bound = at;
  }
  const position = (item: T, keyOf: (item: T) => string): Position => ({
    key: keyOf(item),
    mtimeMs: sort === 'updated' ? Date.parse(item.updatedAt) : 0,
  });
  const entries = pages
    .flatMap(({ page, keyOf }) => page.items.map((item) => ({ item, at: position(item, keyOf) })))
    .filter((e) => bound === null || cmp(e.at, bound) <= 0)
    .sort((a, b) => cmp(a.at, b.at));
  const taken = entries.slice(0, limit);
  const last = taken[taken.length - 1];
  const full = entries.length > limit && last !== undefined;
  const nextCursor = full ? encodePosition(last.at, sort, order) : bound === null ? null : encodePosition(bound, sort, order);
  return { items: taken.map((e) => e.item), nextCursor };
}

/** Each source's page with the ordering key of its items (pages[i] is parts[i]'s). */
function sourcedPages<T extends SessionSummary>(
  pages: readonly { items: T[]; nextCursor: string | null }[],
  parts: readonly RolloutRepository[],
): SourcePage<T>[] {
  return pages.map((page, i) => ({ page, keyOf: (item: T) => parts[i]!.keyOfItem(item) }));
}

/** The merged list page: mergePages, with the scan counts and totals of every source. */
function mergeListPages(pages: readonly ConversationsPage[], parts: readonly RolloutRepository[], query: ListQuery): ConversationsPage {
  const totals = pages.map((page) => page.total);
  return {
    ...mergePages(sourcedPages(pages, parts), query.sort ?? 'created', query.order, query.limit),
    numScannedFiles: pages.reduce((n, page) => n + page.numScannedFiles, 0),
    reachedScanCap: pages.some((page) => page.reachedScanCap),
    ...(totals.every((t) => t !== undefined) ? { total: totals.reduce((a, b) => a + b, 0) } : {}),
    ...(pages.some((page) => page.indexing === true) ? { indexing: true } : {}),
  };
}
