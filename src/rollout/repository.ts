import { access, constants, realpath, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeCursor, decodeUpdatedCursor, encodeCursor, encodeUpdatedCursor, startKey } from './cursor.js';
import { containsFolded, hasFilter, matchesFilter, parseFilter, type SessionFilter } from './filters.js';
import { sameStamp } from './index-db.js';
import { SessionIndexer, type IndexProgress } from './indexer.js';
import { RolloutError, RolloutErrorKind, scanFailed } from './errors.js';
import { isAbsentError } from './fs-safety.js';
import { readRecord } from './jsonl-lines.js';
import {
  linesOf,
  openRollout,
  scanHead,
  DEFAULT_READ_LIMITS,
  type RawSessionRead,
  type ReadLimits,
} from './session-reader.js';
import { DEFAULT_LISTING_CACHE, ListingCache, type ListingCacheOptions } from './listing-cache.js';
import { parsePage, type RawConversationItem, type RawConversationsPage } from './list-page.js';
import { UUID } from './filename.js';
import { SessionNames } from './session-names.js';
import { buildSummary } from './summary.js';
import {
  ARCHIVED_DIR,
  SESSIONS_DIR,
  mergeWalks,
  rolloutFileAt,
  rolloutFilesIn,
  walkActive,
  walkArchived,
  type DateBounds,
  type WalkRoots,
} from './tree-walk.js';
import type {
  ArchivedFilter,
  ConversationsPage,
  ListQuery,
  RolloutFile,
  RolloutLogger,
  SessionSummary,
  SortField,
  SortOrder,
} from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RepositoryOptions {
  codexHome: string;
  /** Files a single list request may examine past its cursor. */
  maxScanFiles: number;
  limits?: Partial<ReadLimits>;
  log: RolloutLogger;
  /** The persistent metadata index (outside the Codex home); null or absent: scan only. */
  index?: { path: string; rescanIntervalMs?: number; verifyDelayMs?: number } | null;
  /** The in-memory cache of listing reads (default 32 MiB, 20,000 files); maxBytes 0 turns it off. */
  listingCache?: Partial<ListingCacheOptions>;
}

/** Watches see live changes; the full pass is a safety net for anything they missed. */
const DEFAULT_RESCAN_MS = 30 * 60 * 1000;
const DEFAULT_VERIFY_DELAY_MS = 60 * 1000;

export type RecordEvent =
  | { kind: 'record'; text: string }
  | { kind: 'invalid'; line: number; reason: string };

/** An opened session: a consistent snapshot (size at open time) of one rollout file. */
export interface OpenConversation {
  file: RolloutFile;
  stat: Stats;
  summary: SessionSummary;
  /** Every line up to the snapshot size, as raw record text or an invalid-line report. */
  records(): AsyncGenerator<RecordEvent>;
  close(): Promise<void>;
}

/** Files a list request reads at once. */
const MAX_PARALLEL_READS = 16;

type ListingRead = { stat: Stats; read: RawSessionRead | null } | null;

/** A candidate pulled ahead in collectPage, with its read once started. */
interface Pending {
  file: RolloutFile;
  position: Position;
  kind: 'skip' | 'cap' | 'read';
  result?: Promise<ListingRead>;
  /** Started with the page's head and tail counts (not as a look-ahead). */
  fullRead?: boolean;
}

function iterate<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
}

/** Starts task i (i < n) no later than when task i - window + 1 is asked for; each at most once. */
class ReadAhead<T> {
  private readonly started: Promise<T>[] = [];

  constructor(
    private readonly n: number,
    private readonly window: number,
    private readonly start: (i: number) => Promise<T>,
  ) {}

  get(i: number): Promise<T> {
    for (let j = this.started.length; j < Math.min(this.n, i + this.window); j++) {
      const task = this.start(j);
      task.catch(() => {}); // a task never asked for must not be an unhandled rejection
      this.started.push(task);
    }
    return this.started[i] as Promise<T>;
  }
}

/** UUIDv7 ids start with their creation time in Unix milliseconds. */
function uuidV7Millis(id: string): number | null {
  if (id[14] !== '7') return null;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

function utcDayParts(ms: number): [string, string, string] {
  const iso = new Date(ms).toISOString();
  return [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
}

/** A position in a listing order: the file key, and for sort=updated the mtime in whole ms. */
interface Position {
  key: string;
  mtimeMs: number;
}

interface Candidate {
  file: RolloutFile;
  /** Whole-ms mtime of the stat that placed the file in sort=updated order. */
  mtimeMs: number;
}

interface PagePlan {
  query: ListQuery;
  sort: SortField;
  filter: SessionFilter;
  after: Position | undefined;
  names: ReadonlyMap<string, string>;
  log: RolloutLogger;
}

/** The file-name time is the writer's local time: up to 14 hours from UTC either way. */
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function positionCompare(a: Position, b: Position, sort: SortField): number {
  if (sort === 'updated' && a.mtimeMs !== b.mtimeMs) return a.mtimeMs < b.mtimeMs ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function ambiguous(id: string, files: RolloutFile[]): RolloutError {
  return new RolloutError(RolloutErrorKind.AmbiguousId, `${files.length} files claim id ${id}: ${files.map((f) => f.relPath).join(', ')}`);
}

export class RolloutRepository {
  readonly codexHome: string;
  private readonly limits: ReadLimits;
  private readonly names: SessionNames;
  private readonly indexer: SessionIndexer | null;
  private readonly listingCache: ListingCache;
  private realHome: string | undefined;

  constructor(private readonly options: RepositoryOptions) {
    this.codexHome = resolve(options.codexHome);
    this.limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
    this.names = new SessionNames(this.codexHome);
    this.listingCache = new ListingCache({ ...DEFAULT_LISTING_CACHE, ...options.listingCache });
    this.indexer = options.index
      ? new SessionIndexer({
          path: options.index.path,
          codexHome: this.codexHome,
          roots: () => this.roots(),
          limits: this.limits,
          log: options.log,
          rescanIntervalMs: options.index.rescanIntervalMs ?? DEFAULT_RESCAN_MS,
          verifyDelayMs: options.index.verifyDelayMs ?? DEFAULT_VERIFY_DELAY_MS,
        })
      : null;
  }

  /** Starts the background index build (if an index is configured); returns at once. */
  start(): void {
    this.indexer?.start();
  }

  async close(): Promise<void> {
    await this.indexer?.close();
  }

  indexProgress(): IndexProgress {
    return this.indexer?.progress() ?? { state: 'disabled', complete: false, filesInIndex: 0, filesCheckedThisPass: 0, lastPassMs: null };
  }

  /** Resolves when the index's current pass (if any) is done: for tests and benchmarks. */
  async indexIdle(): Promise<void> {
    await this.indexer?.idle();
  }

  private async roots(): Promise<WalkRoots> {
    if (this.realHome === undefined) {
      try {
        this.realHome = await realpath(this.codexHome);
      } catch (err) {
        // A Codex home that does not exist yet holds no sessions; resolve it again next time.
        if (isAbsentError(err)) return { codexHome: this.codexHome, realHome: this.codexHome };
        throw scanFailed('cannot resolve the Codex home', err);
      }
    }
    return { codexHome: this.codexHome, realHome: this.realHome };
  }

  private walk(roots: WalkRoots, archived: ArchivedFilter, order: SortOrder, afterKey?: string, bounds: DateBounds = {}) {
    if (archived === 'true') return walkArchived(roots, order, bounds);
    if (archived === 'false') return walkActive(roots, order, afterKey, bounds);
    return mergeWalks(walkActive(roots, order, afterKey, bounds), walkArchived(roots, order, bounds), order);
  }

  /**
   * One page of sessions strictly after `query.cursor`. sort=created without filters walks the
   * tree and reads files only until the page is full plus a look-ahead; sort=updated and
   * filters use the metadata index when it is complete, and a full scan otherwise.
   */
  async listConversations(query: ListQuery, log: RolloutLogger = this.options.log): Promise<ConversationsPage> {
    return parsePage(await this.listPage(query, log));
  }

  /** listConversations with the head and tail records as their JSON text, for the HTTP response. */
  async listPage(query: ListQuery, log: RolloutLogger = this.options.log): Promise<RawConversationsPage> {
    const sort = query.sort ?? 'created';
    const { order } = query;
    const filter = parseFilter(query);
    let after: Position | undefined;
    if (query.cursor !== undefined) {
      after = sort === 'created' ? { key: decodeCursor(query.cursor, order), mtimeMs: 0 } : decodeUpdatedCursor(query.cursor, order);
    }
    const plan: PagePlan = { query, sort, filter, after, names: await this.names.load(), log };
    if ((sort === 'updated' || hasFilter(filter)) && this.indexer?.usable) {
      const page = await this.pageFromIndex(plan);
      if (page !== null) return page;
    }
    const roots = await this.roots();
    if (sort === 'created') {
      const bounds: DateBounds = {
        min: filter.sinceMs === undefined ? undefined : dateOf(filter.sinceMs - DAY_MS),
        max: filter.untilMs === undefined ? undefined : dateOf(filter.untilMs + DAY_MS),
      };
      return this.collectPage(plan, this.asCandidates(this.walk(roots, query.archived, order, after?.key, bounds)));
    }
    // Every file was listed and stat'ed to put them in update order: all count as scanned.
    const byUpdate = await this.byUpdateTime(roots, query.archived, order);
    return { ...(await this.collectPage(plan, byUpdate)), numScannedFiles: byUpdate.length };
  }

  private async *asCandidates(files: AsyncIterable<RolloutFile>): AsyncGenerator<Candidate> {
    for await (const file of files) yield { file, mtimeMs: 0 };
  }

  /** Every file of the chosen roots in sort=updated order: the scan fallback stats the whole tree. */
  private async byUpdateTime(roots: WalkRoots, archived: ArchivedFilter, order: SortOrder): Promise<Candidate[]> {
    const files: RolloutFile[] = [];
    for await (const file of this.walk(roots, archived, order)) files.push(file);
    const candidates: Candidate[] = [];
    for (let i = 0; i < files.length; i += 64) {
      const chunk = files.slice(i, i + 64);
      const stats = await Promise.all(chunk.map((f) => stat(f.absPath).catch(() => null)));
      chunk.forEach((file, j) => {
        const st = stats[j];
        if (st) candidates.push({ file, mtimeMs: Math.floor(st.mtimeMs) });
      });
    }
    const sign = order === 'desc' ? -1 : 1;
    return candidates.sort((a, b) => sign * positionCompare({ key: a.file.key, mtimeMs: a.mtimeMs }, { key: b.file.key, mtimeMs: b.mtimeMs }, 'updated'));
  }

  private encode(position: Position, sort: SortField, order: SortOrder): string {
    return sort === 'created' ? encodeCursor(position.key, order) : encodeUpdatedCursor(position, order);
  }

  private startPosition(order: SortOrder): Position {
    return { key: startKey(order), mtimeMs: order === 'desc' ? 999_999_999_999_999 : 0 };
  }

  private item(read: RawSessionRead, names: ReadonlyMap<string, string>): RawConversationItem {
    return { ...read.summary, name: names.get(read.summary.id) || null, head: read.head, tail: read.tail };
  }

  /** One listing read of `file` (through the cache); never rejects. */
  private readListing(file: RolloutFile, head: number, tail: number, log: RolloutLogger): Promise<ListingRead> {
    return this.listingCache.read(file, head, tail, this.limits, log);
  }

  /**
   * Reads candidates in order until the page is full and one more qualifying session proves
   * that more follow (so `nextCursor` is exact). At most `maxScanFiles` files are read.
   *
   * The reads of the next candidates run concurrently (as many as could still join the page,
   * plus the look-ahead, at most MAX_PARALLEL_READS), but their results are taken strictly in
   * order with the decisions of a one-by-one read: the same items, counts and cursor. A read
   * started for the page and then taken as the look-ahead is used only for whether the
   * session qualifies, which does not depend on the head and tail counts; if it failed, the
   * look-ahead read (no head, no tail) is made again so that a failure of the tail alone
   * cannot change the answer.
   */
  private async collectPage(plan: PagePlan, candidates: AsyncIterable<Candidate> | Iterable<Candidate>): Promise<RawConversationsPage> {
    const { query, sort, filter, after, names, log } = plan;
    const sign = query.order === 'desc' ? -1 : 1;
    const items: RawConversationItem[] = [];
    let numScannedFiles = 0;
    let examined = 0;
    let lastExamined: Position | undefined;
    let lastItem: Position | undefined;
    let more = false;
    let reachedScanCap = false;

    // Candidates pulled ahead of the one being decided, in order. `skip`: before the cursor;
    // `cap`: the first past the scan cap (nothing after it is looked at).
    const source = iterate(candidates);
    const queue: Pending[] = [];
    let sourceDone = false;
    let examinable = 0; // candidates pulled that will be read
    let queuedReads = 0; // of those, still in the queue
    const pull = async (): Promise<boolean> => {
      if (sourceDone) return false;
      const next = await source.next();
      if (next.done === true) {
        sourceDone = true;
        return false;
      }
      const { file, mtimeMs } = next.value;
      const position = { key: file.key, mtimeMs };
      if (after !== undefined && sign * positionCompare(position, after, sort) <= 0) {
        queue.push({ file, position, kind: 'skip' });
      } else if (examinable >= this.options.maxScanFiles) {
        queue.push({ file, position, kind: 'cap' });
        sourceDone = true;
      } else {
        examinable += 1;
        queuedReads += 1;
        queue.push({ file, position, kind: 'read' });
      }
      return true;
    };
    try {
      while (true) {
        const window = Math.min(MAX_PARALLEL_READS, Math.max(1, query.limit - items.length + 1));
        while (queuedReads < window && (await pull()));
        let startedReads = 0;
        for (const entry of queue) {
          if (startedReads >= window) break;
          if (entry.kind !== 'read') continue;
          startedReads += 1;
          if (entry.result === undefined) {
            entry.fullRead = items.length < query.limit;
            entry.result = this.readListing(entry.file, entry.fullRead ? query.head : 0, entry.fullRead ? query.tail : 0, log);
          }
        }
        const entry = queue.shift();
        if (entry === undefined) break;
        numScannedFiles += 1;
        if (entry.kind === 'skip') continue;
        if (entry.kind === 'cap') {
          reachedScanCap = true;
          more = true;
          break;
        }
        queuedReads -= 1;
        examined += 1;
        lastExamined = entry.position;
        const lookAhead = items.length >= query.limit;
        let result = await entry.result!;
        if (lookAhead && entry.fullRead && result === null) result = await this.readListing(entry.file, 0, 0, log);
        const read = result?.read;
        if (!read || (!read.hasUserMessage && !query.includeEmpty)) continue;
        const item = this.item(read, names);
        const sortMs = sort === 'created' ? Date.parse(item.createdAt) : entry.position.mtimeMs;
        if (!matchesFilter(item, filter, sortMs)) continue;
        if (lookAhead) {
          more = true;
          break;
        }
        lastItem = entry.position;
        items.push(item);
      }
    } finally {
      await source.return?.();
    }
    const resume = (reachedScanCap ? lastExamined : lastItem) ?? after ?? this.startPosition(query.order);
    return { items, nextCursor: more ? this.encode(resume, sort, query.order) : null, numScannedFiles, reachedScanCap };
  }

  /**
   * A page from the index. Each row is checked against the disk as its file is read; a row
   * found stale is re-indexed and the query re-run. Null (scan instead) if it stays unstable.
   */
  private async pageFromIndex(plan: PagePlan): Promise<RawConversationsPage | null> {
    const indexer = this.indexer as SessionIndexer;
    const { query, sort, filter, after, names, log } = plan;
    const nameMatchIds = filter.q === undefined ? [] : [...names].filter(([, n]) => containsFolded(n, filter.q!)).map(([id]) => id);
    await indexer.refreshRecent();
    const roots = await this.roots();
    for (let attempt = 0; attempt < 3; attempt++) {
      const rows = indexer.query({ sort, order: query.order, archived: query.archived, includeEmpty: query.includeEmpty, filter, nameMatchIds, after, limit: query.limit + 1 });
      const items: RawConversationItem[] = [];
      let stale = false;
      let more = false;
      let lastItem: Position | undefined;
      let numScannedFiles = 0;
      // The rows to read are known: the first `limit` whose files exist in the roots. Their
      // reads run ahead (at most MAX_PARALLEL_READS at a time); results are taken in order.
      const files = rows.map((row) => rolloutFileAt(roots, row.relPath));
      const toRead = files.filter((f) => f !== null).slice(0, query.limit);
      const reads = new ReadAhead(toRead.length, MAX_PARALLEL_READS, (i) => this.readListing(toRead[i]!, query.head, query.tail, log));
      for (const [r, row] of rows.entries()) {
        const file = files[r];
        if (file === null || file === undefined) continue;
        numScannedFiles += 1;
        if (items.length >= query.limit) {
          const st = await stat(file.absPath).catch(() => null);
          stale = st === null || !sameStamp(row, st);
          more = !stale;
          if (stale) await indexer.refreshFile(file);
          break;
        }
        const result = await reads.get(items.length);
        if (result === null || result.read === null || !sameStamp(row, result.stat)) {
          stale = true;
          await indexer.refreshFile(file);
          break;
        }
        lastItem = { key: row.key, mtimeMs: row.mtimeMs };
        items.push(this.item(result.read, names));
      }
      if (!stale) {
        const resume = lastItem ?? after ?? this.startPosition(query.order);
        return { items, nextCursor: more ? this.encode(resume, sort, query.order) : null, numScannedFiles, reachedScanCap: false };
      }
    }
    log.debug({}, 'index kept changing under the query; scanning instead');
    return null;
  }

  /**
   * The one rollout file for `rawId`, in `sessions/` or `archived_sessions/`. A UUIDv7 names its
   * creation day, so that day (± one for the writer's time zone) is searched first; other ids,
   * and v7 ids not found there, need a walk of the whole tree.
   */
  async findById(rawId: string): Promise<RolloutFile> {
    if (!UUID.test(rawId)) throw new RolloutError(RolloutErrorKind.InvalidId, 'id must be a UUID');
    const id = rawId.toLowerCase();
    const roots = await this.roots();
    if (this.indexer?.usable) {
      const indexed = await this.fromIndex(roots, id);
      if (indexed !== null) return indexed;
    }
    const archived = await rolloutFilesIn(roots, join(this.codexHome, ARCHIVED_DIR), ARCHIVED_DIR, true, 'desc', id);
    let found: RolloutFile[] = [];
    const createdMs = uuidV7Millis(id);
    if (createdMs !== null) {
      for (const offset of [-DAY_MS, 0, DAY_MS]) {
        const [y, m, d] = utcDayParts(createdMs + offset);
        const dir = join(this.codexHome, SESSIONS_DIR, y, m, d);
        found.push(...(await rolloutFilesIn(roots, dir, `${SESSIONS_DIR}/${y}/${m}/${d}`, false, 'desc', id)));
      }
    }
    if (createdMs === null || found.length + archived.length === 0) {
      found = [];
      for await (const file of walkActive(roots, 'desc')) if (file.id === id) found.push(file);
    }
    const all = [...found, ...archived];
    if (all.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    if (all.length > 1) throw ambiguous(id, all);
    return all[0] as RolloutFile;
  }

  /**
   * Lookup through a complete index: the rows for `id` whose files still exist. Null when the
   * index knows none, so the caller searches the disk (a file newer than the last index update).
   */
  private async fromIndex(roots: WalkRoots, id: string): Promise<RolloutFile | null> {
    const files = this.indexer!.rowsForId(id).map((row) => rolloutFileAt(roots, row.relPath)).filter((f) => f !== null);
    const present = (await Promise.all(files.map((f) => stat(f.absPath).then(() => f, () => null)))).filter((f) => f !== null);
    if (present.length === 0) return null;
    if (present.length > 1) throw ambiguous(id, present);
    return present[0]!;
  }

  /** Opens the session for reading; a file without a readable meta still gets a summary from its name. */
  async openConversation(file: RolloutFile, log: RolloutLogger = this.options.log): Promise<OpenConversation> {
    let opened: { handle: FileHandle; stat: Stats };
    try {
      opened = await openRollout(file);
    } catch (err) {
      if (isAbsentError(err)) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
      throw scanFailed(`cannot open ${file.relPath}`, err);
    }
    const { handle, stat } = opened;
    const limits = this.limits;
    try {
      const head = await scanHead(handle, file, stat, 0, limits, log);
      const summary = head?.summary ?? buildSummary(file, {}, null, stat);
      summary.name = (await this.names.load()).get(file.id) || null;
      return {
        file,
        stat,
        summary,
        async *records() {
          for await (const line of linesOf(handle, stat.size, limits.maxLineBytes)) {
            const parsed = readRecord(line, limits.maxLineBytes);
            if (parsed === null) continue;
            if (parsed.ok) yield { kind: 'record', text: (line.text as string).trim() };
            else yield { kind: 'invalid', line: line.lineNo, reason: parsed.reason };
          }
        },
        close: () => handle.close(),
      };
    } catch (err) {
      await handle.close();
      throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
    }
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
