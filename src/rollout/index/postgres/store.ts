import type pg from 'pg';
import type { SearchQuery } from '../../search/match.js';
import type { LocatedDoc } from '../../search/session-matcher.js';
import { parseContentState } from '../content-state.js';
import type { IndexQuery, ModelUsage, UsageAggregate, UsageAggregation } from '../metadata-index.js';
import type { CountQuery, IndexStore, SearchFilter, StoredFile, WriteOp } from '../store.js';
import { documentsOf, searchConditions, searchFilter, type PgSearchFilter } from './search.js';
import { FILE_COLUMNS, Params, listConditions, listQuery, named } from './sql.js';
import { PgUsage } from './usage.js';
import { OpsWriter } from './write-ops.js';

type Row = StoredFile & { fid: number };

/**
 * The PostgreSQL index store: the rows of one home in tables shared by every home of a team
 * (migration 2, src/team/db/index-schema.ts), keyed by (home, rel_path). Its answers are those
 * of the SQLite store (the contract suite runs on both). A write is one transaction on one
 * connection; the writes of this store run one after another, and the rows a write reads are
 * locked (FOR UPDATE), so that two processes indexing one home never add content twice.
 */
export class PgStore implements IndexStore {
  private readonly usage: PgUsage;
  /**
   * Commit without waiting for the disk (synchronous_commit off): for an index rebuilt from data
   * the database holds (team mode's pushed files), where a commit lost in a crash is found stale again.
   */
  lazyCommit = false;
  /** The last write: the next waits for it ("after every write called before it"). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    readonly home: string,
  ) {
    this.usage = new PgUsage(home);
  }

  async complete(): Promise<boolean> {
    const { rows } = await this.pool.query<{ complete: boolean }>('SELECT complete FROM cs_index_homes WHERE home = $1', [this.home]);
    return rows[0]?.complete === true;
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cs_index_files WHERE home = $1', [this.home]);
    return rows[0]!.n;
  }

  async get(relPath: string): Promise<StoredFile | undefined> {
    return this.row(this.pool, relPath);
  }

  async responseKeys(relPath: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ key: string }>({
      name: 'cs-index-response-keys',
      text:
        'SELECT DISTINCT r.key FROM cs_index_usage r JOIN cs_index_files s ON s.fid = r.fid ' +
        'WHERE s.home = $1 AND s.rel_path = $2 AND r.key IS NOT NULL',
      values: [this.home, relPath],
    });
    return rows.map((r) => r.key);
  }

  private async row(db: pg.Pool | pg.ClientBase, relPath: string, lock = false): Promise<Row | undefined> {
    const { rows } = await db.query({
      name: lock ? 'cs-index-row-lock' : 'cs-index-row',
      text: `SELECT ${FILE_COLUMNS} FROM cs_index_files s WHERE s.home = $1 AND s.rel_path = $2${lock ? ' FOR UPDATE' : ''}`,
      values: [this.home, relPath],
    });
    return normalize(rows[0]);
  }

  async paths(): Promise<string[]> {
    const { rows } = await this.pool.query<{ p: string }>('SELECT rel_path AS p FROM cs_index_files WHERE home = $1', [this.home]);
    return rows.map((r) => r.p);
  }

  async byId(id: string): Promise<StoredFile[]> {
    const { rows } = await this.pool.query({
      name: 'cs-index-by-id',
      text: `SELECT ${FILE_COLUMNS} FROM cs_index_files s WHERE s.home = $1 AND s.id = $2 ORDER BY s.rel_path`,
      values: [this.home, id],
    });
    return rows.map((r) => normalize(r)!);
  }

  write(ops: readonly WriteOp[]): Promise<boolean> {
    if (ops.length === 0) return Promise.resolve(false);
    const run = this.writing.then(() => this.transaction(ops));
    this.writing = run.catch(() => {});
    return run;
  }

  private async transaction(ops: readonly WriteOp[]): Promise<boolean> {
    const client = await this.pool.connect();
    let failed = false;
    try {
      await client.query(this.lazyCommit ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN');
      const changed = await new OpsWriter(client, this.home, this.usage).apply(ops);
      await client.query('COMMIT');
      return changed;
    } catch (err) {
      failed = true;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      // A connection whose ROLLBACK may not have run is not given back to others.
      client.release(failed);
    }
  }

  /**
   * A move of a pushed file (team mode: an archive move arrives as one): the row that file `ino`
   * has under another path takes the path `to`, keeping its summary, documents and usage; only
   * `archived` follows the path, and rule 6 is decided again for the responses it carries (the
   * path breaks ties, and an archived copy may be shadowed). Whatever row `to` had goes first.
   * False when this home holds no row of that file (it is then indexed at `to` from the start).
   * Not part of IndexStore: a local home sees a move as a file gone and a file new.
   */
  move(ino: number, to: string, archived: boolean): Promise<boolean> {
    const run = this.writing.then(() => this.moveNow(ino, to, archived));
    this.writing = run.catch(() => {});
    return run;
  }

  private async moveNow(ino: number, to: string, archived: boolean): Promise<boolean> {
    const client = await this.pool.connect();
    let failed = false;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ p: string; fid: number; key: string }>({
        name: 'cs-index-moved-from',
        text:
          'SELECT rel_path AS p, fid::float8 AS fid, key FROM cs_index_files WHERE home = $1 AND ino = $2 AND rel_path <> $3 ' +
          'ORDER BY rel_path LIMIT 1 FOR UPDATE',
        values: [this.home, ino, to],
      });
      const from = rows[0];
      if (from !== undefined) {
        const writer = new OpsWriter(client, this.home, this.usage);
        await writer.lock([to]);
        await writer.apply([{ kind: 'delete', relPath: to }]);
        await client.query({
          name: 'cs-index-move',
          text: 'UPDATE cs_index_files SET rel_path = $3, archived = $4 WHERE home = $1 AND rel_path = $2',
          values: [this.home, from.p, to, archived],
        });
        await this.usage.reownKeysOf(client, from.key);
      }
      await client.query('COMMIT');
      return from !== undefined;
    } catch (err) {
      failed = true;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release(failed);
    }
  }

  /** After a full pass: fresh planner statistics (autovacuum would get there too, later). */
  async afterPass(): Promise<void> {
    await this.pool.query('ANALYZE cs_index_files, cs_index_docs, cs_index_usage');
  }

  async query(q: IndexQuery, search?: SearchFilter): Promise<StoredFile[]> {
    const p = new Params();
    const extra = search === undefined ? [] : searchConditions(search as PgSearchFilter, p);
    const sql = listQuery(q, this.home, p, extra);
    // A LIKE pattern's selectivity decides the plan (trigram index or ordered scan): a page
    // matching text is planned for its pattern each time; the others once per connection.
    const text = search !== undefined || q.filter.q !== undefined;
    const { rows } = await this.pool.query(text ? { text: sql, values: p.values } : named(sql, p.values));
    return rows.map((r) => normalize(r)!);
  }

  async countMatching(q: CountQuery): Promise<number | null> {
    if (!(await this.complete())) return null;
    const p = new Params();
    const where = [`s.home = ${p.add(this.home)}`, ...listConditions(q, p)];
    const sql = `SELECT count(*)::float8 AS n FROM cs_index_files s WHERE ${where.join(' AND ')}`;
    // As for a page: a LIKE pattern is planned for its value each time.
    const statement = q.filter.q !== undefined ? { text: sql, values: p.values } : named(sql, p.values);
    const { rows } = await this.pool.query<{ n: number }>(statement);
    return rows[0]!.n;
  }

  async searchFilter(search: SearchQuery): Promise<SearchFilter> {
    return searchFilter(search);
  }

  async documents(relPath: string, search: SearchQuery, fromLine: number): Promise<LocatedDoc[] | null> {
    const row = await this.row(this.pool, relPath);
    return row === undefined ? null : documentsOf(this.pool, row.fid, search, fromLine);
  }

  async usageOf(relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    const { rows } = await this.pool.query<{ p: string; fid: number }>({
      name: 'cs-index-usage-paths',
      text:
        'SELECT rel_path AS p, fid::float8 AS fid FROM cs_index_files ' +
        'WHERE home = $1 AND content_size >= 0 AND rel_path = ANY($2::text[])',
      values: [this.home, relPaths],
    });
    const byFid = new Map<number, ModelUsage[]>(rows.map((r) => [r.fid, []]));
    for (const { fid, ...usage } of await this.usage.ofFiles(this.pool, [...byFid.keys()])) byFid.get(fid)?.push(usage);
    return new Map(rows.map((r) => [r.p, byFid.get(r.fid) ?? []]));
  }

  async usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null> {
    return this.usage.timeRange(this.pool);
  }

  async aggregateUsage(q: UsageAggregation): Promise<UsageAggregate> {
    return this.usage.aggregate(this.pool, q);
  }

  /** Null while the home's index row is there; it goes when another instance opened this home fresh. */
  async verify(): Promise<string | null> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM cs_index_homes WHERE home = $1', [this.home]);
    return (rowCount ?? 0) > 0 ? null : "the home's index was dropped by another instance";
  }

  /** The pool is the backend's (shared by every store of the process): nothing to close here. */
  async close(): Promise<void> {
    await this.writing;
  }
}

/** A row of FILE_COLUMNS as StoredFile (with its file number). */
export function normalize(row: unknown): Row | undefined {
  if (row === undefined) return undefined;
  type Plain = 'relPath' | 'key' | 'id' | 'mtimeMs' | 'contentSize' | 'fingerprint' | 'archived' | 'hasUserMessage' | 'isSession';
  const r = row as Pick<StoredFile, Plain> & {
    dev: number;
    ino: number;
    size: number;
    fid: number;
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
    archived: r.archived,
    stamp: { dev: r.dev, ino: r.ino, size: r.size, mtimeMs: r.mtimeExact, ctimeMs: r.ctimeExact },
    mtimeMs: r.mtimeMs,
    hasUserMessage: r.hasUserMessage,
    isSession: r.isSession,
    fid: r.fid,
    content: state === null ? null : { offset: r.contentOffset, lineNo: r.contentLine, state },
    contentSize: r.contentSize,
    fingerprint: r.fingerprint,
  };
}
