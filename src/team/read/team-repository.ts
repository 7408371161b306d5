import type pg from 'pg';
import { RolloutError, RolloutErrorKind } from '../../rollout/errors.js';
import { stampOf as fileStampOf, wholeMtimeMs } from '../../rollout/files/file-stamp.js';
import { decodePosition, encodePosition, type Position } from '../../rollout/listing/cursor.js';
import { containsFolded, parseFilter } from '../../rollout/listing/filters.js';
import { admitWithin, qualifies, toItem, type ReadListing } from '../../rollout/listing/list-items.js';
import { ListingCache } from '../../rollout/listing/listing-cache.js';
import { Lease, type MemoryBudget } from '../../rollout/reading/byte-budget.js';
import { recordReader, type RecordReader } from '../../rollout/reading/record-reader.js';
import { requestShare, type OpenRollout, type ReadEnv, type ReadLimits, type RequestKind } from '../../rollout/reading/session-reader.js';
import type { OpenConversation, SessionRepository } from '../../rollout/repository.js';
import { searchPage, searchSession, type SearchDeps, type SearchPage, type SearchRequest } from '../../rollout/search/search-pages.js';
import { DEFAULT_SEARCH_BUDGET_CHARS, SearchWork } from '../../rollout/search/search-work.js';
import { UUID } from '../../rollout/sources/codex/filename.js';
import { codex } from '../../rollout/sources/registry.js';
import { decodeTranscriptCursor, exportTranscript, transcriptPiece } from '../../rollout/transcript/export.js';
import type { ExportRequest } from '../../rollout/transcript/export.js';
import type { TranscriptHeader, TranscriptOptions } from '../../rollout/transcript/render.js';
import { FILES_AT_ONCE } from '../../rollout/tuning.js';
import type { ConversationItem, ConversationsPage, ListQuery, RecordOrigin, RolloutFile, RolloutLogger } from '../../rollout/types.js';
import type { SessionSummary, SortField, SortOrder } from '../../rollout/types.js';
import type { ModelUsage } from '../../rollout/index/metadata-index.js';
import type { PriceBook } from '../../rollout/usage/pricing.js';
import { keysCarriedByOlder } from '../../rollout/usage/carriers.js';
import { leaseMemory, readSessionUsage } from '../../rollout/usage/session-usage.js';
import type { SessionWalker } from '../../rollout/sources/source.js';
import { usageSummary } from '../../rollout/usage/tally.js';
import { usageReport, type UsageDeps, type UsageQuery, type UsageReport } from '../../rollout/usage/usage-report.js';
import { MACHINE_NAME } from '../tokens.js';
import { pushedFile } from './pushed-file.js';
import { teamSearchIndex, teamUsageIndex } from './team-adapters.js';
import { PushedNames, PushedOpens, merged, openPushed, placeOf } from './team-files.js';
import type { TeamIndex } from './team-index.js';

export interface TeamRepositoryOptions {
  pool: pg.Pool;
  index: TeamIndex;
  memory: MemoryBudget;
  limits: ReadLimits;
  prices: PriceBook;
  /** Candidates one search page may examine (--max-scan-files, as over one home). */
  maxScanFiles: number;
  log: RolloutLogger;
}

/**
 * Team cursors: the single-machine cursor of the position, then `~` and the machine of the last
 * item, which breaks the tie of one session on two machines (the order of PgMultiHome).
 */
function encodeTeamCursor(position: Position, machine: string, sort: SortField, order: SortOrder): string {
  return `${encodePosition(position, sort, order)}~${machine}`;
}

function decodeTeamCursor(cursor: string, sort: SortField, order: SortOrder): Position & { machine: string } {
  const at = cursor.lastIndexOf('~');
  const machine = cursor.slice(at + 1);
  if (at < 0 || !MACHINE_NAME.test(machine)) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor must be one a team server issued');
  }
  return { ...decodePosition(cursor.slice(0, at), sort, order), machine };
}

const SearchFailure = (what: string) => new RolloutError(RolloutErrorKind.InvalidQuery, what);

/**
 * The read side of team mode (docs/team.md): what RolloutRepository answers over one home,
 * answered over every machine's pushed home in PostgreSQL. Pages and lookups come from the team
 * index (TeamIndex); a file's bytes from cs_chunks (ReadEnv.open: openPushed), its stamp from
 * cs_files; every reader above that (listing, conversation, NDJSON, export, search documents,
 * usage) is the single-machine one. Stateless: nothing is held between requests but the names.
 */
export class TeamRepository implements SessionRepository {
  private readonly names: PushedNames;
  /** Listing reads kept across requests, as over one home (a page's files are then not read again). */
  private readonly listings = new ListingCache();
  readonly env: ReadEnv;

  constructor(private readonly options: TeamRepositoryOptions) {
    this.names = new PushedNames(options.pool);
    this.env = { realRoot: '/nonexistent', limits: options.limits, budget: options.memory, open: (file) => openPushed(options.pool, file) };
  }

  /** No token answers for what the database holds: ETags hash the bodies (the same on every instance). */
  freshness(): string | null {
    return null;
  }

  async leaseFor(kind: RequestKind, limit = 0, signal?: AbortSignal, client?: string): Promise<Lease> {
    const { memory } = this.options;
    const lease = new Lease(client === undefined ? memory.requests : memory.clients.for(client));
    await lease.take(requestShare(this.options.limits, kind, limit), signal);
    return lease;
  }

  /**
   * The listing read of a pushed file, with its machine on the summary; `env` opens it. With the
   * batch's `opens` (a page's or a search batch's) it is the kept read while the file's row says
   * it is unchanged (ListingCache, as over one home where a stat decides).
   */
  private readonly listingIn =
    (env: ReadEnv, opens?: PushedOpens): ReadListing =>
    async (file, head, tail, log) => {
      const result =
        opens === undefined
          ? await codex.readListing(file, head, tail, env, log)
          : await this.listings.read(file, head, tail, env, log, opens.statOf);
      const machine = placeOf(file)?.machine;
      if (result?.read && machine !== undefined) result.read.summary = { ...result.read.summary, machine };
      return result;
    };

  private readonly readListing: ReadListing = (file, head, tail, log) => this.listingIn(this.env)(file, head, tail, log);

  /** A batch's opens for listing reads of these counts: a file whose kept read answers them unchanged is not fetched again. */
  private opens(head: number, tail: number): PushedOpens {
    return new PushedOpens(this.options.pool, (file) => this.listings.stampHeld(file.absPath, head, tail));
  }

  private async machines(wanted: readonly string[] | undefined): Promise<string[]> {
    return wanted === undefined ? this.options.index.machines() : [...new Set(wanted)];
  }

  /** One page over every machine (or those of `query.machine`), in list order, the machine breaking ties. */
  async listPage(query: ListQuery, log: RolloutLogger = this.options.log, lease?: Lease): Promise<ConversationsPage> {
    const sort = query.sort ?? 'created';
    const filter = parseFilter(query);
    const after = query.cursor === undefined ? undefined : decodeTeamCursor(query.cursor, sort, query.order);
    // Every machine (null) is read by the page's own statement: one round trip less than listing them first.
    const machines = query.machine === undefined ? null : [...new Set(query.machine)];
    const names = filter.q === undefined ? new Map<string, string>() : await this.names.all(await this.machines(query.machine));
    const nameMatchIds = filter.q === undefined ? [] : [...names].filter(([, n]) => containsFolded(n, filter.q!)).map(([id]) => id);
    const { archived, includeEmpty, order, limit } = query;
    const shape = { sort, order, archived, includeEmpty, filter, nameMatchIds, machines };
    // Counted when asked, on the first page only, beside the page, as over one home (list-page.ts).
    const counting = query.total === true && after === undefined ? this.options.index.count(shape) : undefined;
    const rows = await this.options.index.query({ ...shape, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const admit = admitWithin(lease);
    const items: ConversationItem[] = [];
    const plan = { sort, includeEmpty, filter };
    const files = page.map((row) => pushedFile(row.machine, row.relPath));
    // The page's files open with their first bytes in one query, beside its names and usage: each round trip waits for a core.
    const opens = this.opens(query.head, query.tail);
    const [, namesOf, usage] = await Promise.all([
      opens.prefetch(files.filter((f) => f !== null)),
      this.names.each([...new Set(page.map((r) => r.machine))]),
      this.usageFound(page.map((r) => ({ machine: r.machine, path: r.relPath }))),
    ]);
    const readListing = this.listingIn({ ...this.env, open: opens.open }, opens);
    for (let i = 0; i < page.length; i += FILES_AT_ONCE) {
      const reads = page.slice(i, i + FILES_AT_ONCE).map(async (row, j) => {
        const file = files[i + j]!;
        const result = file && (await readListing(file, query.head, query.tail, log));
        if (!file || !result?.read) return null;
        const item = toItem(result.read, namesOf.get(row.machine)!);
        const candidate = { file, position: { key: row.key, mtimeMs: wholeMtimeMs(row.mtimeMs) } };
        // The row passed the query as indexed; a file pushed on since then is judged as read now.
        return qualifies(plan, candidate, item, result.read.hasUserMessage) ? admit(item, file, result.stat) : null;
      });
      for (const item of await Promise.all(reads)) if (item !== null) items.push(item);
    }
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last !== undefined
        ? encodeTeamCursor({ key: last.key, mtimeMs: wholeMtimeMs(last.mtimeMs) }, last.machine, sort, order)
        : null;
    const total = await counting;
    const done = { items: this.priced(items, usage), nextCursor, numScannedFiles: page.length, reachedScanCap: false };
    return total === undefined ? done : { ...done, total };
  }

  /** A pushed file's summary with its machine and name (live events); null when it is not a session (yet) or not held. */
  async summaryOf(machine: string, path: string): Promise<SessionSummary | null> {
    const file = pushedFile(machine, path);
    const read = file && (await this.readListing(file, 0, 0, this.options.log).catch(() => null))?.read;
    if (!read) return null;
    return { ...read.summary, name: (await this.names.of(machine)).get(read.summary.id) || null };
  }

  /** A machine's user-set names (its pushed session_index.jsonl). */
  namesOf(machine: string): Promise<ReadonlyMap<string, string>> {
    return this.names.of(machine);
  }

  /** What a session's path says of it (removed before it was read), with machine and name; null for another path. */
  async pathSummary(machine: string, path: string): Promise<SessionSummary | null> {
    const file = pushedFile(machine, path);
    if (file === null) return null;
    const name = (await this.names.of(machine)).get(file.id) || null;
    return { ...codex.summaryOfPath(file), machine, name };
  }

  /** The summaries with `usage` from the index, per machine (null for a session not indexed yet). */
  private async withUsage<T extends SessionSummary>(items: T[]): Promise<T[]> {
    return this.priced(items, await this.usageFound(items.filter((i) => i.machine !== undefined) as { machine: string; path: string }[]));
  }

  /** Counted usage per model of these files, by machine then path (absent: not indexed yet); one query per machine, at once. */
  private async usageFound(files: readonly { machine: string; path: string }[]): Promise<Map<string, Map<string, ModelUsage[]>>> {
    const byMachine = new Map<string, string[]>();
    for (const f of files) byMachine.set(f.machine, [...(byMachine.get(f.machine) ?? []), f.path]);
    const found = [...byMachine].map(async ([machine, paths]) => [machine, await this.options.index.usageOf(machine, paths)] as const);
    return new Map(await Promise.all(found));
  }

  private priced<T extends SessionSummary>(items: T[], found: Map<string, Map<string, ModelUsage[]>>): T[] {
    return items.map((item) => {
      const models = item.machine === undefined ? undefined : found.get(item.machine)?.get(item.path);
      return { ...item, usage: models === undefined ? null : usageSummary(models, this.options.prices) };
    });
  }

  /** The one pushed file of `rawId`: on two machines, 409 naming them (`machines` chooses). */
  async findById(rawId: string, machines?: readonly string[]): Promise<RolloutFile> {
    if (!UUID.test(rawId)) throw new RolloutError(RolloutErrorKind.InvalidId, 'id must be a UUID');
    const id = rawId.toLowerCase();
    const rows = await this.options.index.byId(id, machines ?? null);
    if (rows.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    const on = [...new Set(rows.map((r) => r.machine))];
    if (on.length > 1) {
      const named = `session ${id} is on ${on.length} machines: ${on.join(', ')}; choose one with ?machine=`;
      throw new RolloutError(RolloutErrorKind.AmbiguousId, named, { machines: on });
    }
    if (rows.length > 1) {
      const paths = rows.map((r) => r.relPath).join(', ');
      throw new RolloutError(RolloutErrorKind.AmbiguousId, `${rows.length} files claim id ${id}: ${paths}`);
    }
    const file = pushedFile(rows[0]!.machine, rows[0]!.relPath);
    if (file === null) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    return file;
  }

  async openConversation(file: RolloutFile, log: RolloutLogger = this.options.log): Promise<OpenConversation> {
    const machine = placeOf(file)?.machine;
    const name = (machine === undefined ? undefined : (await this.names.of(machine)).get(file.id)) || null;
    const conversation = await codex.openConversation(file, name, this.env, log);
    conversation.summary = (await this.withUsage([{ ...conversation.summary, ...(machine === undefined ? {} : { machine }) }]))[0]!;
    return conversation;
  }

  async openFile(file: RolloutFile): Promise<OpenRollout> {
    try {
      return await openPushed(this.options.pool, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
      throw err;
    }
  }

  async openRecords(origin: RecordOrigin): Promise<RecordReader> {
    return recordReader(await this.openFile(origin.file), origin);
  }

  /** Search and usage read through the single-machine code, over the team index (team-adapters.ts). */
  private async deps(machines: string[]): Promise<SearchDeps & Omit<UsageDeps, 'index'>> {
    const { index, prices, log } = this.options;
    return {
      walker: codex.walker('/nonexistent'),
      index: teamSearchIndex(index, machines),
      readListing: this.readListing,
      env: this.env,
      maxScanFiles: this.options.maxScanFiles,
      prices,
      log,
    };
  }

  async search(request: SearchRequest, log: RolloutLogger = this.options.log, signal?: AbortSignal): Promise<SearchPage> {
    const machines = await this.machines(request.machine);
    const work = new SearchWork(DEFAULT_SEARCH_BUDGET_CHARS, { examined: 0, active: 0 }, signal);
    // Each batch of candidates opens its files with one query (PushedOpens), as a list page does.
    // A search reads each candidate's listing without records (search-pages.ts).
    const opens = this.opens(0, 0);
    const env = { ...this.env, open: opens.open };
    const index = teamSearchIndex(this.options.index, machines, opens);
    const deps = { ...(await this.deps(machines)), env, readListing: this.listingIn(env, opens), index };
    // Read once for the request: the page's items take their names from these too (one round trip less after the page).
    const names = await this.names.each(machines);
    const page = await work.run(async () => searchPage(deps, request, merged(machines, names), log, work));
    // Each item's name is its own machine's (one id may be named differently on two machines).
    const items = await Promise.all(page.items.map(async (i) => ({ ...i, name: (await this.nameOf(i.machine, i.id, names)) ?? i.name })));
    return { ...page, items: await this.withUsage(items) };
  }

  private async nameOf(
    machine: string | undefined,
    id: string,
    read: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ): Promise<string | null | undefined> {
    if (machine === undefined) return undefined;
    return ((read.get(machine) ?? (await this.names.of(machine))).get(id)) || null;
  }

  async searchSession(file: RolloutFile, request: Parameters<SessionRepository['searchSession']>[1], signal?: AbortSignal) {
    const machine = placeOf(file)?.machine;
    if (machine === undefined) throw SearchFailure('not a pushed file');
    const work = new SearchWork(DEFAULT_SEARCH_BUDGET_CHARS, { examined: 0, active: 0 }, signal);
    const stampOf = async (f: RolloutFile) => {
      const opened = await openPushed(this.options.pool, f).catch(() => null);
      return opened && fileStampOf(opened.stat);
    };
    const deps = { ...(await this.deps([machine])), stampOf };
    return work.run(async () => searchSession(deps, file, request, work));
  }

  async usage(request: UsageQuery, signal?: AbortSignal): Promise<UsageReport> {
    const machines = await this.machines(request.machine);
    const byMachine = request.groupBy === 'machine';
    const deps = { ...(await this.deps(machines)), index: teamUsageIndex(this.options.index, machines, byMachine) };
    // `model` stands in for `machine` inside the report: a string key, rows by tokens (teamUsageIndex groups by machine).
    const groupBy = request.groupBy === 'machine' ? 'model' : request.groupBy;
    const report = await usageReport(deps, { ...request, groupBy }, signal);
    return { ...report, groupBy: request.groupBy };
  }

  async sessionUsage(file: RolloutFile, lease?: Lease, signal?: AbortSignal) {
    const machine = placeOf(file)?.machine ?? '';
    const rule6 = {
      sessionExists: async (id: string) => UUID.test(id) && (await this.options.index.byId(id.toLowerCase(), [machine])).length > 0,
      // The machine's other files, read from the database as a local home's are from the disk.
      carriedByOlder: async (keys: ReadonlySet<string>) => {
        const deps = { ...(await this.deps([machine])), index: null, walker: this.walkerOf(machine) };
        return keysCarriedByOlder(deps, file, keys);
      },
    };
    return readSessionUsage(file, this.env, this.options.prices, rule6, leaseMemory(lease, signal));
  }

  /**
   * A machine's pushed sessions as the rule 6 carrier search walks a home (only `walk`, newest
   * first): from the team index, at most --max-scan-files and one more (the search's own bound).
   */
  private walkerOf(machine: string): SessionWalker {
    const { index, maxScanFiles } = this.options;
    const page = { sort: 'created', order: 'desc', archived: 'all', includeEmpty: true, filter: {}, nameMatchIds: [] as string[] } as const;
    async function* walk(): AsyncGenerator<RolloutFile> {
      for (const row of await index.query({ ...page, limit: maxScanFiles + 1, machines: [machine] })) {
        const file = pushedFile(row.machine, row.relPath);
        if (file !== null) yield file;
      }
    }
    // keysCarriedByOlder asks nothing else of a walker; a pushed home has no directories to walk.
    return { walk } as unknown as SessionWalker;
  }

  private async transcriptHeader(file: RolloutFile): Promise<TranscriptHeader> {
    const conversation = await this.openConversation(file);
    await conversation.close();
    const { summary } = conversation;
    if (summary.usage !== null) return { summary, models: summary.usage.models, totals: summary.usage };
    const counted = await this.sessionUsage(file);
    return { summary, models: Object.keys(counted.byModel), totals: counted.totals };
  }

  async exportSession(file: RolloutFile, request: ExportRequest) {
    const header = await this.transcriptHeader(file);
    const opened = await this.openFile(file);
    return { ...exportTranscript(opened, header, request, this.env), summary: header.summary, close: () => opened.close() };
  }

  async transcriptPiece(
    file: RolloutFile,
    request: TranscriptOptions & { cursor?: string | undefined; maxBytes: number; redact: boolean },
  ) {
    const opened = await this.openFile(file);
    try {
      const position = await decodeTranscriptCursor(request.cursor, opened);
      const header = position.offset === 0 ? await this.transcriptHeader(file) : null;
      return await transcriptPiece(opened, header, position, request, this.env);
    } finally {
      await opened.close();
    }
  }
}
