import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type Database from 'better-sqlite3';
import { wholeMtimeMs, type FileStamp } from '../../files/file-stamp.js';
import { normalizeCwd } from '../../listing/filters.js';
import { fold } from '../../fold.js';
import type { SearchQuery } from '../../search/match.js';
import type { LocatedDoc } from '../../search/session-matcher.js';
import { parseContentState } from '../content-state.js';
import type { IndexQuery, ModelUsage, UsageAggregate, UsageAggregation } from '../metadata-index.js';
import type { ContentPosition, CountQuery, IndexEntry, IndexStore, SearchFilter, StoredFile, WriteOp } from '../store.js';
import { StoreRefusedError } from '../store.js';
import { Checkpointer } from './checkpointer.js';
import { CountCache } from './count-cache.js';
import { countQuery, listRowsQuery, type SqlCondition } from './list-query.js';
import { SESSIONS_SCHEMA } from './schema.js';
import { BUILD_CACHE_KIB, SERVING_CACHE_KIB } from './page-cache.js';
import { SearchStore, createSearchTables, dropSearchTables } from './search.js';
import { DROP_TITLES, TITLES_SCHEMA, TitleStore, fillTitles } from './titles.js';
import { UsageStore, createUsageTables, dropUsageTables } from './usage.js';

/** Bump when the table layout or the meaning of a column changes: the file is then rebuilt. */
const SCHEMA_VERSION = '16';
/**
 * 16 added the title trigrams (titles.ts) and nothing else: a file of 15 gets them from its rows,
 * not a rebuild of every session. Only into 16: past it, a 15 is rebuilt unless this step is chained.
 */
const FILLS_TITLES = { from: '15', to: '16' };

const COLUMNS =
  'rel_path AS relPath, key, id, archived, dev, ino, size, mtime_exact AS mtimeExact, ctime_exact AS ctimeExact, ' +
  'mtime_ms AS mtimeMs, has_user_message AS hasUserMessage, is_session AS isSession, fid, content_offset AS contentOffset, ' +
  'content_line AS contentLine, content_state AS contentState, content_size AS contentSize, fingerprint';
const S_COLUMNS = COLUMNS.replaceAll(/(^|, )(\w+)/g, '$1s.$2');

interface SqliteFilter extends SearchFilter {
  condition: SqlCondition;
}

/**
 * The SQLite index store: one row per rollout file of one home (sessions and non-sessions alike,
 * so unchanged files are never re-read), their search documents and counted usage. It lives
 * outside the Codex home; the file is bound to that home (meta codex_home). Its calls run
 * synchronously inside their promise (better-sqlite3): a write is one IMMEDIATE transaction.
 */
export class SqliteStore implements IndexStore {
  private readonly upsertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly touchStmt: Database.Statement;
  private readonly checkpointStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly maxFidStmt: Database.Statement;
  private readonly totalChangesStmt: Database.Statement;
  /** The search documents (text of messages, tools and reasoning, by line). */
  readonly search: SearchStore;
  /** The folded titles by trigrams, for `q=`. */
  readonly titles: TitleStore;
  /** The model responses counted for usage and cost. */
  readonly usage: UsageStore;
  /** Copies the WAL into the file off the event loop (checkpointer.ts). */
  readonly checkpointer: Checkpointer;
  /** The inode of the file opened: another one at the path means the file was replaced. */
  private readonly ino: number;

  /** Opens the file at `path` for `codexHome` (rows keyed by `home`); throws what SQLite throws, or StoreRefusedError. */
  constructor(
    Sqlite: typeof Database,
    private readonly path: string,
    private readonly codexHome: string,
    readonly home: string,
  ) {
    // A lock held by another process is waited for briefly here (this blocks), then reported as
    // SQLITE_BUSY and retried by the index without blocking (StoreIndex.writeOps).
    this.db = new Sqlite(path, { timeout: 50 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // The usage rollup's triggers must also see the rows INSERT OR REPLACE deletes.
      this.db.pragma('recursive_triggers = ON');
      // A build writes gigabytes through the WAL: once checkpointed, it shrinks back to this.
      this.db.pragma('journal_size_limit = 67108864');
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
      const owner = this.getMeta('codex_home');
      if (owner !== undefined && owner !== codexHome) {
        throw new StoreRefusedError('the index file belongs to another Codex home; give this one its own --index-path');
      }
      this.db
        .transaction(() => {
          const schema = this.getMeta('schema');
          if (schema === FILLS_TITLES.from && SCHEMA_VERSION === FILLS_TITLES.to) fillTitles(this.db);
          else if (schema !== SCHEMA_VERSION) {
            this.db.exec(`DROP TABLE IF EXISTS sessions; ${DROP_TITLES} ${dropSearchTables()} ${dropUsageTables()} DELETE FROM meta;`);
          }
          this.db.exec(SESSIONS_SCHEMA + TITLES_SCHEMA);
          this.db.exec(createSearchTables());
          this.db.exec(createUsageTables());
          this.setMeta('schema', SCHEMA_VERSION);
          this.setMeta('codex_home', codexHome);
        })
        .immediate();
      // Integrity is checked cheaply here; a damaged file throws and is rebuilt by the backend.
      this.db.prepare('SELECT count(*) FROM sessions').get();
      this.upsertStmt = this.db.prepare(`
        INSERT INTO sessions (home, rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
                              is_session, has_user_message, created_ms, title, title_folded, cwd_norm, source, model_provider, fid)
        VALUES (@home, @relPath, @key, @id, @archived, @dev, @ino, @size, @mtimeExact, @ctimeExact, @mtimeMs,
                @isSession, @hasUserMessage, @createdMs, @title, @titleFolded, @cwdNorm, @source, @modelProvider, @fid)
        ON CONFLICT (home, rel_path) DO UPDATE SET
          key = excluded.key, id = excluded.id, archived = excluded.archived, dev = excluded.dev, ino = excluded.ino,
          size = excluded.size, mtime_exact = excluded.mtime_exact, ctime_exact = excluded.ctime_exact,
          mtime_ms = excluded.mtime_ms,
          is_session = excluded.is_session, has_user_message = excluded.has_user_message,
          created_ms = excluded.created_ms, title = excluded.title, title_folded = excluded.title_folded, cwd_norm = excluded.cwd_norm,
          source = excluded.source, model_provider = excluded.model_provider`);
      this.deleteStmt = this.db.prepare('DELETE FROM sessions WHERE home = ? AND rel_path = ?');
      this.search = new SearchStore(this.db);
      this.titles = new TitleStore(this.db);
      this.usage = new UsageStore(this.db);
      // content_size stays while a pass is under way: it is the size the content was last indexed to the end of.
      this.checkpointStmt = this.db.prepare(
        'UPDATE sessions SET content_offset = ?, content_line = ?, content_state = ?, content_size = coalesce(?, content_size), ' +
          'fingerprint = ? WHERE home = ? AND rel_path = ?',
      );
      this.touchStmt = this.db.prepare(
        'UPDATE sessions SET size = ?, mtime_exact = ?, ctime_exact = ?, mtime_ms = ? WHERE home = ? AND rel_path = ?',
      );
      this.getStmt = this.db.prepare(`SELECT ${COLUMNS} FROM sessions WHERE home = ? AND rel_path = ?`);
      this.maxFidStmt = this.db.prepare('SELECT max(fid) FROM sessions').pluck();
      this.totalChangesStmt = this.db.prepare('SELECT total_changes() AS n');
      this.ino = statSync(path).ino;
      this.checkpointer = new Checkpointer(path, {
        local: (mode) => {
          const [r] = this.db.pragma(`wal_checkpoint(${mode})`) as { log: number; checkpointed: number }[];
          return { log: r!.log, checkpointed: r!.checkpointed };
        },
        fallback: () => this.db.pragma('wal_autocheckpoint = 1000'),
      });
      this.db.pragma('wal_autocheckpoint = 0');
      this.db.pragma(`cache_size = -${this.getMeta('complete') === '1' ? SERVING_CACHE_KIB : BUILD_CACHE_KIB}`);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private readonly db: Database.Database;
  /** The list's counts while nothing they read has changed. */
  readonly counts = new CountCache();

  private getMeta(k: string): string | undefined {
    return (this.db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined)?.v;
  }

  private setMeta(k: string, v: string): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, v);
  }

  async complete(): Promise<boolean> {
    return this.getMeta('complete') === '1';
  }

  async count(): Promise<number> {
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    const all = () => (this.db.prepare('SELECT count(*) AS n FROM sessions WHERE home = ?').get(this.home) as { n: number }).n;
    return this.counts.rowCount(dataVersion, all);
  }

  async get(relPath: string): Promise<StoredFile | undefined> {
    return this.row(relPath);
  }

  async responseKeys(relPath: string): Promise<string[]> {
    const row = this.row(relPath);
    return row === undefined ? [] : this.usage.keysOf(row.fid);
  }

  private row(relPath: string): StoredFile & { fid: number } | undefined {
    return normalize(this.getStmt.get(this.home, relPath));
  }

  async paths(): Promise<string[]> {
    return this.db.prepare('SELECT rel_path FROM sessions WHERE home = ?').pluck().all(this.home) as string[];
  }

  async byId(id: string): Promise<StoredFile[]> {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM sessions WHERE id = ? AND home = ? ORDER BY rel_path`)
      .all(id, this.home)
      .map((r) => normalize(r)!);
  }

  async write(ops: readonly WriteOp[]): Promise<boolean> {
    if (ops.length === 0) return false;
    const before = this.totalChanges();
    this.counts.wrote(ops);
    // IMMEDIATE: the write lock is taken first, so a second process waits here (SQLITE_BUSY)
    // rather than failing half-way when its read lock cannot be upgraded.
    this.db.transaction(() => this.search.batched(() => ops.forEach((op) => this.apply(op)))).immediate();
    this.checkpointer.wrote();
    return this.totalChanges() !== before;
  }

  private apply(op: WriteOp): void {
    switch (op.kind) {
      case 'entry': {
        const fid = this.upsert(op.entry);
        if (op.resetContent !== null) {
          this.search.deleteFile(fid);
          this.usage.removeFile(fid);
          this.checkpoint(op.entry.file.relPath, op.resetContent, -1, null);
        }
        return;
      }
      case 'grew': {
        const { stamp } = op;
        this.touchStmt.run(stamp.size, stamp.mtimeMs, stamp.ctimeMs, wholeMtimeMs(stamp.mtimeMs), this.home, op.relPath);
        return;
      }
      case 'content': {
        const row = this.row(op.relPath);
        if (row?.content?.offset !== op.from) return; // another writer (or a reset) moved it: see IndexStore.write
        this.search.add(row.fid, op.docs);
        this.usage.add(row.fid, op.responses, op.hasRecords);
        this.checkpoint(op.relPath, op.at, op.doneAtSize, op.fingerprint);
        return;
      }
      case 'delete': {
        const row = this.row(op.relPath);
        if (row === undefined) return;
        this.search.deleteFile(row.fid);
        this.usage.removeFile(row.fid);
        this.deleteStmt.run(this.home, op.relPath);
        this.search.fts(() => this.titles.delete(row.fid));
        this.usage.sessionChanged(row.id);
        return;
      }
      case 'complete':
        this.setMeta('complete', '1');
    }
  }

  /**
   * Records what a read of a file found; returns the row's file number (kept when the row
   * exists; a new one is taken inside the transaction, so two processes never take the same).
   */
  private upsert({ file, stamp, session }: IndexEntry): number {
    const s = session?.summary;
    const before = this.row(file.relPath);
    // q matches the title or the name: a name the transcript gives (Claude's) is matched here, a names file's through nameMatchIds.
    const title = s ? [s.title, s.name].filter((t) => t !== null && t !== '').join('\n') || null : null;
    const fid = before?.fid ?? ((this.maxFidStmt.get() as number | null) ?? 0) + 1;
    const titleFolded = title === null ? null : fold(title);
    const titleBefore = before === undefined ? undefined : this.titles.current(this.home, file.relPath);
    this.upsertStmt.run({
      home: this.home,
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
      title,
      titleFolded,
      cwdNorm: s?.cwd != null ? normalizeCwd(s.cwd) : null,
      source: s?.source ?? null,
      modelProvider: s?.modelProvider ?? null,
    });
    this.search.fts(() => this.titles.set(fid, titleFolded, titleBefore));
    // Rule 6 asks which session ids exist: a session that appears may own responses other files carry.
    if (before === undefined || before.isSession !== (session !== null)) this.usage.sessionChanged(file.id);
    return fid;
  }

  private checkpoint(relPath: string, content: ContentPosition, doneAtSize: number | undefined, fingerprint: string | null): void {
    const state = JSON.stringify(content.state);
    this.checkpointStmt.run(content.offset, content.lineNo, state, doneAtSize ?? null, fingerprint, this.home, relPath);
  }

  /** SQLite's count of rows changed on this connection since it opened. */
  private totalChanges(): number {
    return (this.totalChangesStmt.get() as { n: number }).n;
  }

  /** After a full pass: fresh planner statistics (approximate, bounded work), and the WAL folded into the file. */
  async afterPass(): Promise<void> {
    this.db.exec(`PRAGMA analysis_limit = 1000; ANALYZE; PRAGMA cache_size = -${SERVING_CACHE_KIB};`);
    await this.checkpointer.run('TRUNCATE').catch(() => this.db.pragma('wal_checkpoint(TRUNCATE)'));
    // The usage mirror now, after a turn of the event loop, not on the first /usage (~3 s on 100,000 mixed sessions, loaded).
    await new Promise((resolve) => setImmediate(resolve));
    this.usage.warmMirror();
  }

  async query(q: IndexQuery, search?: SearchFilter): Promise<StoredFile[]> {
    const extra = this.titles.narrowed(q, this.home, (search as SqliteFilter | undefined)?.condition);
    const { sql, params } = listRowsQuery(q, this.home, S_COLUMNS, extra);
    return this.db.prepare(sql).all(...params).map((r) => normalize(r)!);
  }

  async countMatching(q: CountQuery): Promise<number | null> {
    if (!(await this.complete())) return null;
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    return this.counts.get(q, dataVersion, () => {
      const { sql, params } = countQuery(q, this.home, this.titles.narrowed(q, this.home)); // a kept count asks no trigrams
      return (this.db.prepare(sql).get(...params) as { n: number }).n;
    });
  }

  async searchFilter(search: SearchQuery, pageSize: number): Promise<SearchFilter> {
    return { backend: 'sqlite', condition: this.search.candidateCondition(search, pageSize) } as SqliteFilter;
  }

  async documents(relPath: string, search: SearchQuery, fromLine: number): Promise<LocatedDoc[] | null> {
    const row = this.row(relPath);
    return row === undefined ? null : [...this.search.candidates(row.fid, search, fromLine)];
  }

  async usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    const rows = this.db
      .prepare(
        'SELECT rel_path AS p, fid FROM sessions WHERE home = ? AND content_size >= 0 AND rel_path IN (SELECT value FROM json_each(?))',
      )
      .all(this.home, JSON.stringify(relPaths)) as { p: string; fid: number }[];
    const byFid = new Map<number, ModelUsage[]>(rows.map((r) => [r.fid, []]));
    for (const { fid, ...usage } of this.usage.ofFiles([...byFid.keys()])) byFid.get(fid)?.push(usage);
    return new Map(rows.map((r) => [r.p, byFid.get(r.fid) ?? []]));
  }

  async usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null> {
    return this.usage.timeRange();
  }

  async aggregateUsage(q: UsageAggregation): Promise<UsageAggregate> {
    return this.usage.aggregate(q);
  }

  async countedElsewhere(relPath: string, keys: readonly string[]): Promise<Set<string> | null> {
    const row = this.db.prepare('SELECT fid FROM sessions WHERE home = ? AND rel_path = ? AND content_size >= 0').get(this.home, relPath) as
      | { fid: number }
      | undefined;
    return row === undefined ? null : this.usage.countedElsewhere(row.fid, keys);
  }

  async verify(): Promise<string | null> {
    const st = await stat(this.path).catch(() => null);
    const owner = this.getMeta('codex_home');
    if (owner !== undefined && owner !== this.codexHome) return 'the index file was taken over by another Codex home';
    if (st === null || st.ino !== this.ino || owner === undefined) return 'the index file was replaced';
    return null;
  }

  async close(): Promise<void> {
    await this.checkpointer.close();
    this.db.close();
  }
}

function normalize(row: unknown): (StoredFile & { fid: number }) | undefined {
  if (row === undefined) return undefined;
  const r = row as Pick<StoredFile, 'relPath' | 'key' | 'id' | 'mtimeMs' | 'contentSize' | 'fingerprint'> &
    Omit<FileStamp, 'mtimeMs' | 'ctimeMs'> & {
      fid: number;
      archived: number;
      hasUserMessage: number;
      isSession: number;
      mtimeExact: number;
      ctimeExact: number;
      contentOffset: number;
      contentLine: number;
      contentState: string | null;
    };
  const state = parseContentState(r.contentState);
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
    content: state === null ? null : { offset: r.contentOffset, lineNo: r.contentLine, state },
    contentSize: r.contentSize,
    fingerprint: r.fingerprint,
  };
}
