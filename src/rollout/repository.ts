import { RolloutError, RolloutErrorKind } from './errors.js';
import { UUID } from './sources/common/fields.js';
import { HomeRepository } from './home-repository.js';
import { listPage } from './listing/list-page.js';
import type { Lease } from './reading/byte-budget.js';
import type { OpenConversation } from './sources/source.js';
import type { ConversationsPage, ListQuery, RolloutFile, RolloutLogger, SessionSummary } from './types.js';
import { searchPage, searchSession } from './search/search-pages.js';
import type { SearchPage, SearchRequest, SessionSearchRequest } from './search/search-pages.js';
import { leaseMemory, readSessionUsage, type SessionUsage } from './usage/session-usage.js';
import { keysCarriedByOlder } from './usage/carriers.js';
import { claudeSessionUsage } from './usage/claude-session-usage.js';
import { DEFAULT_SEARCH_BUDGET_CHARS, SearchWork } from './search/search-work.js';
import { usageReport, type UsageQuery, type UsageReport } from './usage/usage-report.js';
import { decodeTranscriptCursor, exportTranscript, transcriptPiece } from './transcript/export.js';
import type { ExportRequest, TranscriptExport, TranscriptPiece } from './transcript/export.js';
import type { TranscriptHeader, TranscriptOptions } from './transcript/render.js';

export type { OpenConversation } from './sources/source.js';
export type { RecordEvent } from './reading/record-events.js';
export type { RecordReader } from './reading/record-reader.js';
export type { FeedEvent } from './live/event-log.js';
export type { FeedSubscription } from './live/change-feed.js';
export type { FileFollower, FollowEvent, FollowStart } from './live/follower.js';

export type { RepositoryOptions } from './home-repository.js';

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
export class RolloutRepository extends HomeRepository {
  /** One page of sessions strictly after `query.cursor` (see listing/list-page.ts). */
  async listPage(query: ListQuery, log: RolloutLogger = this.options.log, lease?: Lease): Promise<ConversationsPage> {
    if (query.machine !== undefined) throw teamOnly('machine');
    const page = await listPage(await this.readDeps(), query, await this.names.load(), log, lease);
    return { ...page, items: await this.withUsage(page.items) };
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

  /** Opens the session for reading; a file without a readable meta still gets a summary from its name. */
  async openConversation(file: RolloutFile, log: RolloutLogger = this.options.log): Promise<OpenConversation> {
    const name = (await this.names.load()).get(file.id) || null;
    const conversation = await this.source.openConversation(file, name, await this.env(), log);
    conversation.summary = (await this.withUsage([conversation.summary]))[0] ?? conversation.summary;
    return conversation;
  }

  /**
   * Token usage and cost of one session, read from its file by the rules of the list and GET
   * /usage (docs/usage.md). With a `lease` (the request's share of the memory budget, taken for
   * kind 'usage'), what the count holds past COUNT_ALLOWANCE (a digest per distinct response, the
   * threads, the tallies) is taken from the budget too as it grows (Lease.grow).
   */
  async sessionUsage(file: RolloutFile, lease?: Lease, signal?: AbortSignal): Promise<SessionUsage> {
    const deps = await this.readDeps();
    if (this.source.agent === 'claude') return claudeSessionUsage(deps, file, this.prices, leaseMemory(lease, signal), signal);
    const rule6 = {
      sessionExists: (id: string) => this.sessionExists(id),
      carriedByOlder: (keys: ReadonlySet<string>) => keysCarriedByOlder(deps, file, keys),
    };
    return readSessionUsage(file, deps.env, this.prices, rule6, leaseMemory(lease, signal));
  }

  /** Counted usage of the whole home, grouped (docs/usage.md, `GET /usage`; see usage/usage-report.ts). */
  async usage(request: UsageQuery, signal?: AbortSignal): Promise<UsageReport> {
    const { groupBy, machine } = request;
    if (groupBy === 'machine' || machine !== undefined) throw teamOnly('machine');
    return usageReport(await this.readDeps(), { ...request, groupBy }, signal);
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
}
