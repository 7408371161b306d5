import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { wholeMtimeMs, type FileStamp } from '../files/file-stamp.js';
import { containsFolded, normalizeCwd } from '../listing/filters.js';
import type { RolloutFile, SessionSummary } from '../types.js';
import type { IndexQuery, ModelUsage } from './metadata-index.js';
import { SearchStore, createSearchTables, dropSearchTables } from './sqlite-search.js';
import { UsageStore, createUsageTables, dropUsageTables } from './sqlite-usage.js';
import { parseContentState, type ContentState } from './content-state.js';
import { ForeignIndexError } from './index-errors.js';
import { SESSIONS_SCHEMA } from './sqlite-schema.js';

/**
 * Bump when the table layout, the meaning of a column or the fold (search/fold.ts) changes: the
 * file is then rebuilt. 11: the final sigma folds as σ.
 */
const SCHEMA_VERSION = '11';

/** What the index knows of one rollout file; valid while the file's stamp is unchanged. */
export interface IndexRow {
  relPath: string;
  key: string;
  id: string;
  archived: boolean;
  stamp: FileStamp;
  /** Whole-ms mtime: the sort=updated key. */
  mtimeMs: number;
  /** The title (first user message) is known: later appends cannot change the summary. */
  hasUserMessage: boolean;
  isSession: boolean;
  fid: number;
  /** Null when the stored state cannot be used (another version wrote it): the content is read again. */
  content: ContentPosition | null;
  /** The file size the content was last indexed to the end of; -1 before the first time. */
  contentSize: number;
}

/** What one read of a file found: a session (its summary) or not a session (null). */
export interface IndexEntry {
  file: RolloutFile;
  stamp: FileStamp;
  session: { summary: SessionSummary; hasUserMessage: boolean } | null;
}

const contentPosition = (offset: number, lineNo: number, state: ContentState | null): ContentPosition | null =>
  state === null ? null : { offset, lineNo, state };

/** SQL conditions with their parameters, ANDed into a query on the session row `s`. */
export interface SqlCondition {
  where: string[];
  params: unknown[];
}

/** How far a file's content is indexed: the next line, and the consumers' state there. */
export interface ContentPosition {
  offset: number;
  lineNo: number;
  state: ContentState;
}

const COLUMNS =
  'rel_path AS relPath, key, id, archived, dev, ino, size, mtime_exact AS mtimeExact, ctime_exact AS ctimeExact, ' +
  'mtime_ms AS mtimeMs, has_user_message AS hasUserMessage, is_session AS isSession, fid, content_offset AS contentOffset, ' +
  'content_line AS contentLine, content_state AS contentState, content_size AS contentSize';

/**
 * The persistent metadata index: one SQLite row per rollout file (sessions and non-sessions
 * alike, so unchanged files are never re-read). It lives outside the Codex home.
 */
export class IndexDb {
  private readonly db: Database.Database;
  private readonly upsertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly touchStmt: Database.Statement;
  private readonly checkpointStmt: Database.Statement;
  private nextFid: number | undefined;
  /** The search documents (text of messages, tools and reasoning, by line). */
  readonly search: SearchStore;
  /** The model responses counted for usage and cost. */
  readonly usage: UsageStore;
  private readonly totalChangesStmt: Database.Statement;

  /**
   * Opens (or creates) the index; a corrupt file or another schema version is replaced (with
   * `fresh`, whatever it holds: it was found corrupt while running). A file that belongs to
   * another Codex home is not touched: ForeignIndexError. The native module is loaded here, not
   * at start-up: serving the first page does not need it.
   */
  static async open(path: string, codexHome: string, options: { fresh?: boolean; onChange?: () => void } = {}): Promise<IndexDb> {
    const onChange = options.onChange ?? (() => {});
    const { default: Sqlite } = await import('better-sqlite3');
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const remove = () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    };
    if (options.fresh === true) remove();
    try {
      return new IndexDb(Sqlite, path, codexHome, onChange);
    } catch (err) {
      if (err instanceof ForeignIndexError) throw err;
      remove();
      return new IndexDb(Sqlite, path, codexHome, onChange);
    }
  }

  private constructor(
    Sqlite: typeof Database,
    path: string,
    codexHome: string,
    /** Called after every transaction that changed a row: what the index answers moved. */
    private readonly onChange: () => void,
  ) {
    this.db = new Sqlite(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // The usage rollup's triggers must also see the rows INSERT OR REPLACE deletes.
      this.db.pragma('recursive_triggers = ON');
      // A build writes gigabytes through the WAL: once checkpointed, it shrinks back to this.
      this.db.pragma('journal_size_limit = 67108864');
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
      const version = this.getMeta('schema');
      const home = this.getMeta('codex_home');
      if (home !== undefined && home !== codexHome) throw new ForeignIndexError();
      if (version !== SCHEMA_VERSION) {
        this.db.exec(`DROP TABLE IF EXISTS sessions; ${dropSearchTables()} ${dropUsageTables()} DELETE FROM meta;`);
      }
      this.db.exec(SESSIONS_SCHEMA);
      this.db.exec(createSearchTables());
      this.db.exec(createUsageTables());
      this.setMeta('schema', SCHEMA_VERSION);
      this.setMeta('codex_home', codexHome);
      // Integrity is checked cheaply here; a damaged file throws and is rebuilt by open().
      this.db.prepare('SELECT count(*) FROM sessions').get();
      this.db.function('contains_folded', { deterministic: true }, (hay: unknown, needle: unknown) =>
        containsFolded(typeof hay === 'string' ? hay : null, String(needle)) ? 1 : 0,
      );
      this.upsertStmt = this.db.prepare(`
        INSERT INTO sessions (rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
                              is_session, has_user_message, created_ms, title, cwd_norm, source, model_provider, fid)
        VALUES (@relPath, @key, @id, @archived, @dev, @ino, @size, @mtimeExact, @ctimeExact, @mtimeMs,
                @isSession, @hasUserMessage, @createdMs, @title, @cwdNorm, @source, @modelProvider, @fid)
        ON CONFLICT (rel_path) DO UPDATE SET
          key = excluded.key, id = excluded.id, archived = excluded.archived, dev = excluded.dev, ino = excluded.ino,
          size = excluded.size, mtime_exact = excluded.mtime_exact, ctime_exact = excluded.ctime_exact,
          mtime_ms = excluded.mtime_ms,
          is_session = excluded.is_session, has_user_message = excluded.has_user_message,
          created_ms = excluded.created_ms, title = excluded.title, cwd_norm = excluded.cwd_norm,
          source = excluded.source, model_provider = excluded.model_provider`);
      this.deleteStmt = this.db.prepare('DELETE FROM sessions WHERE rel_path = ?');
      this.search = new SearchStore(this.db);
      this.usage = new UsageStore(this.db);
      // content_size stays while a pass is under way: it is the size the content was last indexed to the end of.
      this.checkpointStmt = this.db.prepare(
        'UPDATE sessions SET content_offset = ?, content_line = ?, content_state = ?, content_size = coalesce(?, content_size) ' +
          'WHERE rel_path = ?',
      );
      this.totalChangesStmt = this.db.prepare('SELECT total_changes() AS n');
      this.touchStmt = this.db.prepare(
        'UPDATE sessions SET size = ?, mtime_exact = ?, ctime_exact = ?, mtime_ms = ? WHERE rel_path = ?',
      );
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private getMeta(k: string): string | undefined {
    return (this.db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined)?.v;
  }

  private setMeta(k: string, v: string): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, v);
  }

  /** The Codex home the file says it indexes (another instance may have taken it over). */
  owner(): string | undefined {
    return this.getMeta('codex_home');
  }

  get complete(): boolean {
    return this.getMeta('complete') === '1';
  }

  markComplete(): void {
    this.setMeta('complete', '1');
  }

  /** Refreshes the planner's statistics (approximate, bounded work) after a full pass. */
  /** After a full pass: fresh planner statistics, and the WAL folded into the file (the disk the index uses is its size). */
  analyze(): void {
    this.db.exec('PRAGMA analysis_limit = 1000; ANALYZE;');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** A number for a file new to the index (its search documents are numbered after it). */
  allocateFid(): number {
    this.nextFid ??= ((this.db.prepare('SELECT max(fid) FROM sessions').pluck().get() as number | null) ?? 0) + 1;
    return this.nextFid++;
  }

  /** Records what a read of a file found; `fid` is the row's number (kept when the row exists). */
  upsert({ file, stamp, session }: IndexEntry, fid: number): void {
    const s = session?.summary;
    const before = this.get(file.relPath);
    this.upsertStmt.run({
      relPath: file.relPath,
      key: file.key,
      id: file.id,
      archived: file.archived ? 1 : 0,
      dev: stamp.dev,
      ino: stamp.ino,
      size: stamp.size,
      mtimeExact: stamp.mtimeMs,
      ctimeExact: stamp.ctimeMs,
      mtimeMs: wholeMtimeMs(stamp.mtimeMs),
      isSession: session ? 1 : 0,
      hasUserMessage: session?.hasUserMessage ? 1 : 0,
      fid,
      createdMs: s ? Date.parse(s.createdAt) : null,
      title: s?.title ?? null,
      cwdNorm: s?.cwd != null ? normalizeCwd(s.cwd) : null,
      source: s?.source ?? null,
      modelProvider: s?.modelProvider ?? null,
    });
    // Rule 6 asks which session ids exist: a session that appears may own responses other files carry.
    if (before === undefined || before.isSession !== (session !== null)) this.usage.sessionChanged(file.id);
  }

  /** Drops what was read of a file's content (it is read again from the start). */
  clearContent(relPath: string, fid: number, start: ContentPosition): void {
    this.search.deleteFile(fid);
    this.usage.removeFile(fid);
    this.checkpoint(relPath, start, -1);
  }

  /** A file that only grew: its summary stands, only size and times move. */
  touch(relPath: string, stamp: FileStamp): void {
    this.touchStmt.run(stamp.size, stamp.mtimeMs, stamp.ctimeMs, wholeMtimeMs(stamp.mtimeMs), relPath);
  }

  /** Forgets a file, its content included. */
  delete(relPath: string): void {
    const row = this.get(relPath);
    if (row === undefined) return;
    this.search.deleteFile(row.fid);
    this.usage.removeFile(row.fid);
    this.deleteStmt.run(relPath);
    this.usage.sessionChanged(row.id);
  }

  /** Records how far a file's content is indexed; `doneAtSize` once it is indexed to the end of that size (-1: not at all). */
  checkpoint(relPath: string, content: ContentPosition, doneAtSize?: number): void {
    this.checkpointStmt.run(content.offset, content.lineNo, JSON.stringify(content.state), doneAtSize ?? null, relPath);
  }

  transaction<T>(fn: () => T): T {
    const before = this.totalChanges();
    const result = this.db.transaction(fn)();
    if (this.totalChanges() !== before) this.onChange();
    return result;
  }

  /** SQLite's count of rows changed on this connection since it opened. */
  private totalChanges(): number {
    return (this.totalChangesStmt.get() as { n: number }).n;
  }

  get(relPath: string): IndexRow | undefined {
    return this.normalize(this.db.prepare(`SELECT ${COLUMNS} FROM sessions WHERE rel_path = ?`).get(relPath));
  }

  /** The counted usage per model of each of these paths whose content was indexed to an end at least once. */
  usageByPath(relPaths: readonly string[]): Map<string, ModelUsage[]> {
    const rows = this.db
      .prepare('SELECT rel_path AS p, fid FROM sessions WHERE content_size >= 0 AND rel_path IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(relPaths)) as { p: string; fid: number }[];
    const byFid = new Map<number, ModelUsage[]>(rows.map((r) => [r.fid, []]));
    for (const { fid, ...usage } of this.usage.ofFiles([...byFid.keys()])) byFid.get(fid)?.push(usage);
    return new Map(rows.map((r) => [r.p, byFid.get(r.fid) ?? []]));
  }

  allPaths(): string[] {
    return (this.db.prepare('SELECT rel_path AS p FROM sessions').all() as { p: string }[]).map((r) => r.p);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }

  byId(id: string): IndexRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM sessions WHERE id = ? ORDER BY rel_path`).all(id).map((r) => this.normalize(r)!);
  }

  /**
   * The next `limit` candidate files of a page, in order; the caller validates each against the
   * disk. `extra` adds conditions on the session row `s` (search).
   */
  query(q: IndexQuery, extra: SqlCondition = { where: [], params: [] }): IndexRow[] {
    const where: string[] = ['s.is_session = 1', ...extra.where];
    const params: unknown[] = [...extra.params];
    if (!q.includeEmpty) where.push('s.has_user_message = 1');
    if (q.archived === 'false') where.push('s.archived = 0');
    else if (q.archived === 'true') where.push('s.archived = 1');
    // Listing both roots, an archived copy of an active file name is hidden (as in the scan).
    else where.push('(s.archived = 0 OR NOT EXISTS (SELECT 1 FROM sessions a WHERE a.key = s.key AND a.archived = 0))');
    const inList = (column: string, values: readonly string[]) => {
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    const f = q.filter;
    if (f.cwd) inList('s.cwd_norm', f.cwd);
    if (f.source) inList('s.source', f.source);
    if (f.provider) inList('s.model_provider', f.provider);
    const timeColumn = q.sort === 'created' ? 's.created_ms' : 's.mtime_ms';
    if (f.sinceMs !== undefined) {
      where.push(`${timeColumn} >= ?`);
      params.push(f.sinceMs);
    }
    if (f.untilMs !== undefined) {
      where.push(`${timeColumn} <= ?`);
      params.push(f.untilMs);
    }
    if (f.q !== undefined) {
      where.push('(contains_folded(s.title, ?) OR s.id IN (SELECT value FROM json_each(?)))');
      params.push(f.q, JSON.stringify(q.nameMatchIds));
    }
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const cmp = q.order === 'desc' ? '<' : '>';
    let orderBy: string;
    if (q.sort === 'created') {
      if (q.after) {
        where.push(`s.key ${cmp} ?`);
        params.push(q.after.key);
      }
      orderBy = `s.key ${dir}`;
    } else {
      if (q.after) {
        where.push(`(s.mtime_ms ${cmp} ? OR (s.mtime_ms = ? AND s.key ${cmp} ?))`);
        params.push(q.after.mtimeMs, q.after.mtimeMs, q.after.key);
      }
      orderBy = `s.mtime_ms ${dir}, s.key ${dir}`;
    }
    const sql = `SELECT ${COLUMNS.replaceAll(/(^|, )(\w+)/g, '$1s.$2')} FROM sessions s WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ?`;
    params.push(q.limit);
    return this.db.prepare(sql).all(...params).map((r) => this.normalize(r)!);
  }

  private normalize(row: unknown): IndexRow | undefined {
    if (row === undefined) return undefined;
    const r = row as Pick<IndexRow, 'relPath' | 'key' | 'id' | 'mtimeMs' | 'fid' | 'contentSize'> &
      Omit<FileStamp, 'mtimeMs' | 'ctimeMs'> & {
        archived: number;
        hasUserMessage: number;
        isSession: number;
        mtimeExact: number;
        ctimeExact: number;
        contentOffset: number;
        contentLine: number;
        contentState: string | null;
      };
    return {
      relPath: r.relPath,
      key: r.key,
      id: r.id,
      archived: r.archived === 1,
      stamp: { dev: r.dev, ino: r.ino, size: r.size, mtimeMs: r.mtimeExact, ctimeMs: r.ctimeExact },
      mtimeMs: r.mtimeMs,
      hasUserMessage: r.hasUserMessage === 1,
      isSession: r.isSession === 1,
      fid: r.fid,
      content: contentPosition(r.contentOffset, r.contentLine, parseContentState(r.contentState)),
      contentSize: r.contentSize,
    };
  }

  close(): void {
    this.db.close();
  }
}
