import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { wholeMtimeMs, type FileStamp } from '../files/file-stamp.js';
import { containsFolded, normalizeCwd } from '../listing/filters.js';
import type { RolloutFile, SessionSummary } from '../types.js';
import type { IndexQuery } from './metadata-index.js';

/** Bump when the table layout or the meaning of a column changes: the file is then rebuilt. */
const SCHEMA_VERSION = '4';

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
}

/** What one read of a file found: a session (its summary) or not a session (null). */
export interface IndexEntry {
  file: RolloutFile;
  stamp: FileStamp;
  session: { summary: SessionSummary; hasUserMessage: boolean } | null;
}

/**
 * The index file belongs to another Codex home (its meta row says so). It is left alone: two
 * homes sharing one file would drop each other's table and answer with the other's rows.
 */
export class ForeignIndexError extends Error {
  constructor() {
    super('the index file belongs to another Codex home; give this one its own --index-path');
    this.name = 'ForeignIndexError';
  }
}

/**
 * What an error of an index call says about the file: `corrupt` (damaged, not a database any
 * more: overwritten, truncated), `schema` (its tables are gone: another process rebuilt or
 * dropped them), or null (an error of the call itself).
 */
export function indexLoss(err: unknown): 'corrupt' | 'schema' | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_IOERR')) return 'corrupt';
  if (code === 'SQLITE_ERROR' && /no such (table|column|index)/.test(String((err as Error).message))) return 'schema';
  return null;
}

const COLUMNS =
  'rel_path AS relPath, key, id, archived, dev, ino, size, mtime_exact AS mtimeExact, ctime_exact AS ctimeExact, ' +
  'mtime_ms AS mtimeMs, has_user_message AS hasUserMessage';

/**
 * The persistent metadata index: one SQLite row per rollout file (sessions and non-sessions
 * alike, so unchanged files are never re-read). It lives outside the Codex home.
 */
export class IndexDb {
  private readonly db: Database.Database;
  private readonly upsertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly touchStmt: Database.Statement;

  /**
   * Opens (or creates) the index; a corrupt file or another schema version is replaced (with
   * `fresh`, whatever it holds: it was found corrupt while running). A file that belongs to
   * another Codex home is not touched: ForeignIndexError. The native module is loaded here, not
   * at start-up: serving the first page does not need it.
   */
  static async open(path: string, codexHome: string, fresh = false): Promise<IndexDb> {
    const { default: Sqlite } = await import('better-sqlite3');
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const remove = () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    };
    if (fresh) remove();
    try {
      return new IndexDb(Sqlite, path, codexHome);
    } catch (err) {
      if (err instanceof ForeignIndexError) throw err;
      remove();
      return new IndexDb(Sqlite, path, codexHome);
    }
  }

  private constructor(Sqlite: typeof Database, path: string, codexHome: string) {
    this.db = new Sqlite(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
      const version = this.getMeta('schema');
      const home = this.getMeta('codex_home');
      if (home !== undefined && home !== codexHome) throw new ForeignIndexError();
      if (version !== SCHEMA_VERSION) {
        this.db.exec('DROP TABLE IF EXISTS sessions; DELETE FROM meta;');
      }
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS sessions (
          rel_path TEXT PRIMARY KEY,
          key TEXT NOT NULL,
          id TEXT NOT NULL,
          archived INTEGER NOT NULL,
          dev INTEGER NOT NULL,
          ino INTEGER NOT NULL,
          size INTEGER NOT NULL,
          mtime_exact REAL NOT NULL,
          ctime_exact REAL NOT NULL,
          mtime_ms INTEGER NOT NULL,
          is_session INTEGER NOT NULL,
          has_user_message INTEGER NOT NULL DEFAULT 0,
          created_ms INTEGER,
          title TEXT,
          cwd_norm TEXT,
          source TEXT,
          model_provider TEXT
        ) WITHOUT ROWID;
        -- One covering index per sort order: a filtered page walks the index in order and
        -- never touches the table for the filter columns (only q needs the title).
        CREATE INDEX IF NOT EXISTS sessions_by_key ON sessions
          (key, is_session, has_user_message, archived, source, model_provider, cwd_norm, created_ms);
        CREATE INDEX IF NOT EXISTS sessions_by_mtime ON sessions
          (mtime_ms, key, is_session, has_user_message, archived, source, model_provider, cwd_norm);
        CREATE INDEX IF NOT EXISTS sessions_id ON sessions (id);
        -- Selective filters (a cwd, a rare source or provider) jump straight to their rows;
        -- ANALYZE statistics let the planner choose between these and the ordered scans.
        CREATE INDEX IF NOT EXISTS sessions_cwd ON sessions (cwd_norm, key);
        CREATE INDEX IF NOT EXISTS sessions_source ON sessions (source, key);
        CREATE INDEX IF NOT EXISTS sessions_provider ON sessions (model_provider, key);
      `);
      this.setMeta('schema', SCHEMA_VERSION);
      this.setMeta('codex_home', codexHome);
      // Integrity is checked cheaply here; a damaged file throws and is rebuilt by open().
      this.db.prepare('SELECT count(*) FROM sessions').get();
      this.db.function('contains_folded', { deterministic: true }, (hay: unknown, needle: unknown) =>
        containsFolded(typeof hay === 'string' ? hay : null, String(needle)) ? 1 : 0,
      );
      this.upsertStmt = this.db.prepare(`
        INSERT INTO sessions (rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
                              is_session, has_user_message, created_ms, title, cwd_norm, source, model_provider)
        VALUES (@relPath, @key, @id, @archived, @dev, @ino, @size, @mtimeExact, @ctimeExact, @mtimeMs,
                @isSession, @hasUserMessage, @createdMs, @title, @cwdNorm, @source, @modelProvider)
        ON CONFLICT (rel_path) DO UPDATE SET
          key = excluded.key, id = excluded.id, archived = excluded.archived, dev = excluded.dev, ino = excluded.ino,
          size = excluded.size, mtime_exact = excluded.mtime_exact, ctime_exact = excluded.ctime_exact,
          mtime_ms = excluded.mtime_ms,
          is_session = excluded.is_session, has_user_message = excluded.has_user_message,
          created_ms = excluded.created_ms, title = excluded.title, cwd_norm = excluded.cwd_norm,
          source = excluded.source, model_provider = excluded.model_provider`);
      this.deleteStmt = this.db.prepare('DELETE FROM sessions WHERE rel_path = ?');
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
  analyze(): void {
    this.db.exec('PRAGMA analysis_limit = 1000; ANALYZE;');
  }

  /** Records what a read of a file found. */
  upsert({ file, stamp, session }: IndexEntry): void {
    const s = session?.summary;
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
      createdMs: s ? Date.parse(s.createdAt) : null,
      title: s?.title ?? null,
      cwdNorm: s?.cwd != null ? normalizeCwd(s.cwd) : null,
      source: s?.source ?? null,
      modelProvider: s?.modelProvider ?? null,
    });
  }

  /** A file that only grew: its summary stands, only size and times move. */
  touch(relPath: string, stamp: FileStamp): void {
    this.touchStmt.run(stamp.size, stamp.mtimeMs, stamp.ctimeMs, wholeMtimeMs(stamp.mtimeMs), relPath);
  }

  delete(relPath: string): void {
    this.deleteStmt.run(relPath);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get(relPath: string): IndexRow | undefined {
    return this.normalize(this.db.prepare(`SELECT ${COLUMNS} FROM sessions WHERE rel_path = ?`).get(relPath));
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

  /** The next `limit` candidate files of a page, in order; the caller validates each against the disk. */
  query(q: IndexQuery): IndexRow[] {
    const where: string[] = ['s.is_session = 1'];
    const params: unknown[] = [];
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
    const r = row as Pick<IndexRow, 'relPath' | 'key' | 'id' | 'mtimeMs'> & Omit<FileStamp, 'mtimeMs' | 'ctimeMs'> & {
      archived: number;
      hasUserMessage: number;
      mtimeExact: number;
      ctimeExact: number;
    };
    return {
      relPath: r.relPath,
      key: r.key,
      id: r.id,
      archived: r.archived === 1,
      stamp: { dev: r.dev, ino: r.ino, size: r.size, mtimeMs: r.mtimeExact, ctimeMs: r.ctimeExact },
      mtimeMs: r.mtimeMs,
      hasUserMessage: r.hasUserMessage === 1,
    };
  }

  close(): void {
    this.db.close();
  }
}
