import { access, constants, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeCursor, encodeCursor, startKey } from './cursor.js';
import { RolloutError, RolloutErrorKind, scanFailed } from './errors.js';
import { isAbsentError } from './fs-safety.js';
import { readRecord } from './jsonl-lines.js';
import { linesOf, openRollout, readTail, scanHead, DEFAULT_READ_LIMITS, type ReadLimits } from './session-reader.js';
import { SessionNames } from './session-names.js';
import { buildSummary } from './summary.js';
import {
  ARCHIVED_DIR,
  SESSIONS_DIR,
  mergeWalks,
  rolloutFilesIn,
  walkActive,
  walkArchived,
  type WalkRoots,
} from './tree-walk.js';
import type {
  ArchivedFilter,
  ConversationItem,
  ConversationsPage,
  ListQuery,
  RolloutFile,
  RolloutLogger,
  SessionSummary,
  SortOrder,
} from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RepositoryOptions {
  codexHome: string;
  /** Files a single list request may examine past its cursor. */
  maxScanFiles: number;
  limits?: Partial<ReadLimits>;
  log: RolloutLogger;
}

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

/** UUIDv7 ids start with their creation time in Unix milliseconds. */
function uuidV7Millis(id: string): number | null {
  if (id[14] !== '7') return null;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

function utcDayParts(ms: number): [string, string, string] {
  const iso = new Date(ms).toISOString();
  return [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
}

export class RolloutRepository {
  readonly codexHome: string;
  private readonly limits: ReadLimits;
  private readonly names: SessionNames;
  private realHome: string | undefined;

  constructor(private readonly options: RepositoryOptions) {
    this.codexHome = resolve(options.codexHome);
    this.limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
    this.names = new SessionNames(this.codexHome);
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

  private walk(roots: WalkRoots, archived: ArchivedFilter, order: SortOrder, afterKey?: string) {
    if (archived === 'true') return walkArchived(roots, order);
    if (archived === 'false') return walkActive(roots, order, afterKey);
    return mergeWalks(walkActive(roots, order, afterKey), walkArchived(roots, order), order);
  }

  /**
   * One page of sessions in key order, strictly after `query.cursor`. Reads files only until
   * the page is full, plus one look-ahead file name to know whether more may follow.
   */
  async listConversations(query: ListQuery, log: RolloutLogger = this.options.log): Promise<ConversationsPage> {
    const { order } = query;
    const afterKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor, order);
    const isAfter = (key: string) => afterKey === undefined || (order === 'desc' ? key < afterKey : key > afterKey);
    const roots = await this.roots();
    const names = await this.names.load();
    const items: ConversationItem[] = [];
    let numScannedFiles = 0;
    let examined = 0;
    let lastExamined: string | undefined;
    let more = false;
    let reachedScanCap = false;
    for await (const file of this.walk(roots, query.archived, order, afterKey)) {
      numScannedFiles += 1;
      if (!isAfter(file.key)) continue;
      if (items.length >= query.limit) {
        more = true;
        break;
      }
      if (examined >= this.options.maxScanFiles) {
        reachedScanCap = true;
        more = true;
        break;
      }
      examined += 1;
      lastExamined = file.key;
      const item = await this.readItem(file, query, log);
      if (item === null || (!item.hasUserMessage && !query.includeEmpty)) continue;
      item.summary.name = names.get(file.id) || null;
      items.push({ ...item.summary, head: item.head, tail: item.tail });
    }
    const resumeKey = lastExamined ?? afterKey ?? startKey(order);
    return {
      items,
      nextCursor: more ? encodeCursor(resumeKey, order) : null,
      numScannedFiles,
      reachedScanCap,
    };
  }

  private async readItem(file: RolloutFile, query: ListQuery, log: RolloutLogger) {
    let opened: { handle: FileHandle; stat: Stats };
    try {
      opened = await openRollout(file);
    } catch (err) {
      log.debug({ path: file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
      return null;
    }
    const { handle, stat } = opened;
    try {
      const head = await scanHead(handle, file, stat, query.head, this.limits, log);
      if (head === null) return null;
      const tail = query.tail > 0 ? await readTail(handle, stat.size, query.tail, this.limits.maxLineBytes) : [];
      return { ...head, tail };
    } catch (err) {
      log.debug({ path: file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
      return null;
    } finally {
      await handle.close();
    }
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
    const matches = (files: Iterable<RolloutFile>) => [...files].filter((f) => f.id === id);
    const archived = matches(await rolloutFilesIn(roots, join(this.codexHome, ARCHIVED_DIR), ARCHIVED_DIR, true, 'desc'));
    let found: RolloutFile[] = [];
    const createdMs = uuidV7Millis(id);
    if (createdMs !== null) {
      for (const offset of [-DAY_MS, 0, DAY_MS]) {
        const [y, m, d] = utcDayParts(createdMs + offset);
        const dir = join(this.codexHome, SESSIONS_DIR, y, m, d);
        found.push(...matches(await rolloutFilesIn(roots, dir, `${SESSIONS_DIR}/${y}/${m}/${d}`, false, 'desc')));
      }
    }
    if (createdMs === null || found.length + archived.length === 0) {
      found = [];
      for await (const file of walkActive(roots, 'desc')) if (file.id === id) found.push(file);
    }
    const all = [...found, ...archived];
    if (all.length === 0) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${id}`);
    if (all.length > 1) {
      throw new RolloutError(
        RolloutErrorKind.AmbiguousId,
        `${all.length} files claim id ${id}: ${all.map((f) => f.relPath).join(', ')}`,
      );
    }
    return all[0] as RolloutFile;
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
