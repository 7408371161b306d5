import type pg from 'pg';
import { appendManyWith } from './append-many.js';
import { FINGERPRINT_BYTES, fingerprint } from './layout.js';
import { OffsetMismatch, pushed, type Append, type PushedFile } from './pushed.js';

export { OffsetMismatch, type Append, type PushedFile } from './pushed.js';

/** A move or delete named a file the server does not hold, or a move's target is taken. */
export class FileConflict extends Error {
  override name = 'FileConflict';
  constructor(
    readonly reason: 'missing' | 'exists',
    message: string,
  ) {
    super(message);
  }
}

interface FileRow {
  id: string;
  path: string;
  size: string;
  head: Buffer;
  tail: Buffer;
}

const EMPTY = fingerprint(Buffer.alloc(0));

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Appends `data` at `offset`, which must be the length held; `replace` (offset 0) first drops
 * what is held (a rewritten file). The file's row is locked: concurrent pushes of one file
 * serialise, and the loser is told the new length.
 */
async function appendWith(client: pg.PoolClient, machine: string, { path, offset, data, replace, mtimeMs }: Append): Promise<PushedFile> {
  if (offset === 0) {
    await client.query({
      name: 'cs_files_create',
      text: 'INSERT INTO cs_files (machine, path) VALUES ($1, $2) ON CONFLICT (machine, path) DO NOTHING',
      values: [machine, path],
    });
  }
  const { rows } = await client.query<FileRow>({
    name: 'cs_files_lock',
    text: 'SELECT id, path, size, head, tail FROM cs_files WHERE machine = $1 AND path = $2 FOR UPDATE',
    values: [machine, path],
  });
  const row = rows[0];
  if (row === undefined) throw new OffsetMismatch(0, path);
  let { head, tail } = row;
  let size = Number(row.size);
  if (replace && size > 0) {
    await client.query({ name: 'cs_chunks_drop', text: 'DELETE FROM cs_chunks WHERE file_id = $1', values: [row.id] });
    await client.query({
      name: 'cs_files_reset',
      text: `UPDATE cs_files SET size = 0, head = '', tail = '', head_fp = '', tail_fp = '', generation = generation + 1
               WHERE id = $1`,
      values: [row.id],
    });
    size = 0;
    head = Buffer.alloc(0);
    tail = Buffer.alloc(0);
  }
  if (offset !== size) throw new OffsetMismatch(size, path);
  if (data.length === 0) {
    await client.query({ name: 'cs_files_touch', text: 'UPDATE cs_files SET mtime_ms = $2 WHERE id = $1', values: [row.id, mtimeMs] });
    return pushed(path, size, head, tail, mtimeMs);
  }
  if (head.length < FINGERPRINT_BYTES) head = Buffer.concat([head, data.subarray(0, FINGERPRINT_BYTES - head.length)]);
  const joined = data.length >= FINGERPRINT_BYTES ? data : Buffer.concat([tail, data]);
  tail = Buffer.from(joined.subarray(Math.max(0, joined.length - FINGERPRINT_BYTES)));
  await client.query({
    name: 'cs_chunks_add',
    text: 'INSERT INTO cs_chunks (file_id, "offset", data) VALUES ($1, $2, $3)',
    values: [row.id, size, data],
  });
  const file = pushed(path, size + data.length, head, tail, mtimeMs);
  // The fingerprints are kept next to the windows: a listing of 100,000 files reads no windows.
  await client.query({
    name: 'cs_files_grow',
    text: `UPDATE cs_files SET size = $2, head = $3, tail = $4, head_fp = $5, tail_fp = $6, mtime_ms = $7,
             change_seq = nextval('cs_change_seq'), updated_at = now() WHERE id = $1`,
    values: [row.id, file.size, head, tail, file.head, file.tail, mtimeMs],
  });
  return file;
}

/** The pushed files of every machine: bytes in chunks as they arrived, one row per file. */
export class FileStore {
  constructor(private readonly pool: pg.Pool) {}

  /** One page of a machine's files in path order, after `after`. */
  async list(machine: string, after: string, limit: number): Promise<PushedFile[]> {
    const { rows } = await this.pool.query<{ path: string; size: string; head_fp: string; tail_fp: string; mtime_ms: string | null }>({
      name: 'cs_files_page',
      // Paths compare bytewise (the column's collation is "C"), so the index serves this page.
      text: 'SELECT path, size, head_fp, tail_fp, mtime_ms FROM cs_files WHERE machine = $1 AND path > $2 ORDER BY path LIMIT $3',
      values: [machine, after, limit],
    });
    return rows.map((r) => ({
      path: r.path,
      size: Number(r.size),
      head: r.head_fp || EMPTY,
      tail: r.tail_fp || EMPTY,
      mtimeMs: r.mtime_ms === null ? null : Number(r.mtime_ms),
    }));
  }

  /** The number of files held for `machine` and their holdingsDigest (layout.ts), computed in SQL. */
  async digest(machine: string): Promise<{ files: number; digest: string }> {
    // Path order (collation "C", bytewise) is the line order of holdingsDigest: paths are unique, a prefix sorts first.
    const { rows } = await this.pool.query<{ files: number; digest: string }>({
      name: 'cs_files_digest',
      text: `SELECT count(*)::int AS files, encode(sha256(convert_to(coalesce(string_agg(
               path || E'\\t' || size || E'\\t' || coalesce(mtime_ms::text, '') || E'\\n', '' ORDER BY path), ''), 'UTF8')), 'hex')
               AS digest
               FROM cs_files WHERE machine = $1`,
      values: [machine],
    });
    return rows[0]!;
  }

  /**
   * Appends `data` at `offset`, which must be the length held; `replace` (offset 0) first drops
   * what is held (a rewritten file). One transaction with the file's row locked: concurrent
   * pushes of one file serialise, and the loser is told the new length.
   */
  async append(machine: string, append: Append): Promise<PushedFile> {
    return inTransaction(this.pool, (client) => appendWith(client, machine, append));
  }

  /**
   * Several appends in one transaction, all or none: a batch of small files costs one request,
   * one commit and a fixed number of statements whatever its size (src/team/ingest/append-many.ts).
   */
  async appendMany(machine: string, appends: Append[]): Promise<PushedFile[]> {
    return inTransaction(this.pool, (client) => appendManyWith(client, machine, appends));
  }

  /** An archive move: the same bytes under a new path (the file keeps its identity). */
  async move(machine: string, from: string, to: string): Promise<void> {
    try {
      const { rowCount } = await this.pool.query({
        name: 'cs_files_move',
        text: 'UPDATE cs_files SET path = $3, change_seq = nextval(\'cs_change_seq\'), updated_at = now() WHERE machine = $1 AND path = $2',
        values: [machine, from, to],
      });
      if (rowCount === 0) throw new FileConflict('missing', `the server holds no ${from}`);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new FileConflict('exists', `the server already holds ${to}`);
      throw err;
    }
  }

  async remove(machine: string, path: string): Promise<void> {
    const { rowCount } = await this.pool.query({
      name: 'cs_files_remove',
      text: 'DELETE FROM cs_files WHERE machine = $1 AND path = $2',
      values: [machine, path],
    });
    if (rowCount === 0) throw new FileConflict('missing', `the server holds no ${path}`);
  }

  /** The bytes held of a file, chunk by chunk in order (tests and, later, the read side). */
  async *read(machine: string, path: string): AsyncGenerator<Buffer> {
    const { rows: files } = await this.pool.query<{ id: string }>('SELECT id FROM cs_files WHERE machine = $1 AND path = $2', [
      machine,
      path,
    ]);
    const id = files[0]?.id;
    if (id === undefined) return;
    let next = -1;
    for (;;) {
      // One chunk per query: a 200 MB session never sits whole in memory.
      const { rows } = await this.pool.query<{ offset: string; data: Buffer }>(
        'SELECT "offset", data FROM cs_chunks WHERE file_id = $1 AND "offset" > $2 ORDER BY "offset" LIMIT 1',
        [id, next],
      );
      const row = rows[0];
      if (row === undefined) return;
      next = Number(row.offset);
      yield row.data;
    }
  }
}
