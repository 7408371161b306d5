import type pg from 'pg';
import { FINGERPRINT_BYTES } from './layout.js';
import { OffsetMismatch, pushed, type Append, type PushedFile } from './pushed.js';

interface LockedRow {
  id: string;
  path: string;
  size: string;
  head: Buffer;
  tail: Buffer;
  head_fp: string;
  tail_fp: string;
}

/** One file's row after the batch: what the final UPDATE writes. */
interface After {
  id: string;
  size: number;
  head: Buffer;
  tail: Buffer;
  headFp: string;
  tailFp: string;
  mtimeMs: number | null;
  /** A replacement: the generation is bumped (the index reads the file again from the start). */
  replaced: boolean;
  /** Bytes were added: a new change number for the index's catch-up. */
  grew: boolean;
}

/** `($1::bigint, $2::text, …), ($3, $4, …)`: multi-row VALUES with binary parameters (bytea stays binary, unlike an array). */
function valuesList(rows: number, types: string[]): string {
  return Array.from({ length: rows }, (_, r) => {
    const cells = types.map((type, c) => `$${r * types.length + c + 1}${r === 0 ? `::${type}` : ''}`);
    return `(${cells.join(', ')})`;
  }).join(', ');
}

/**
 * The batch form of one append per file (file-store.ts `appendWith`), with the same checks and
 * the same rows written, in a fixed number of statements whatever the number of files: create
 * the new rows, lock every row in path order (two batches cannot deadlock), check every offset
 * in path order (the first wrong one is the 409), drop replaced files' chunks, add the chunks,
 * update the rows. A wrong offset throws: the caller's transaction rolls everything back.
 */
export async function appendManyWith(client: pg.PoolClient, machine: string, appends: Append[]): Promise<PushedFile[]> {
  const ordered = [...appends].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const created = ordered.filter((a) => a.offset === 0).map((a) => a.path);
  if (created.length > 0) {
    await client.query({
      name: 'cs_files_create_many',
      text: `INSERT INTO cs_files (machine, path) SELECT $1, p FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n
               ON CONFLICT (machine, path) DO NOTHING`,
      values: [machine, created],
    });
  }
  const { rows } = await client.query<LockedRow>({
    name: 'cs_files_lock_many',
    text: `SELECT id, path, size, head, tail, head_fp, tail_fp FROM cs_files WHERE machine = $1 AND path = ANY($2::text[])
             ORDER BY path FOR UPDATE`,
    values: [machine, ordered.map((a) => a.path)],
  });
  const byPath = new Map(rows.map((row) => [row.path, row]));
  const afters: After[] = [];
  const chunks: { id: string; offset: number; data: Buffer }[] = [];
  const dropped: string[] = [];
  const answers: PushedFile[] = [];
  for (const { path, offset, data, replace, mtimeMs } of ordered) {
    const row = byPath.get(path);
    if (row === undefined) throw new OffsetMismatch(0, path);
    let { head, tail, head_fp: headFp, tail_fp: tailFp } = row;
    let size = Number(row.size);
    const replaced = replace && size > 0;
    if (replaced) {
      dropped.push(row.id);
      [size, head, tail, headFp, tailFp] = [0, Buffer.alloc(0), Buffer.alloc(0), '', ''];
    }
    if (offset !== size) throw new OffsetMismatch(size, path);
    if (data.length === 0) {
      afters.push({ id: row.id, size, head, tail, headFp, tailFp, mtimeMs, replaced, grew: false });
      answers.push(pushed(path, size, head, tail, mtimeMs));
      continue;
    }
    if (head.length < FINGERPRINT_BYTES) head = Buffer.concat([head, data.subarray(0, FINGERPRINT_BYTES - head.length)]);
    const joined = data.length >= FINGERPRINT_BYTES ? data : Buffer.concat([tail, data]);
    tail = Buffer.from(joined.subarray(Math.max(0, joined.length - FINGERPRINT_BYTES)));
    chunks.push({ id: row.id, offset: size, data });
    const file = pushed(path, size + data.length, head, tail, mtimeMs);
    afters.push({ id: row.id, size: file.size, head, tail, headFp: file.head, tailFp: file.tail, mtimeMs, replaced, grew: true });
    answers.push(file);
  }
  if (dropped.length > 0) {
    await client.query({ name: 'cs_chunks_drop_many', text: 'DELETE FROM cs_chunks WHERE file_id = ANY($1::bigint[])', values: [dropped] });
  }
  if (chunks.length > 0) {
    await client.query(
      `INSERT INTO cs_chunks (file_id, "offset", data) VALUES ${valuesList(chunks.length, ['bigint', 'bigint', 'bytea'])}`,
      chunks.flatMap((c) => [c.id, c.offset, c.data]),
    );
  }
  // The fingerprints are kept next to the windows: a listing of 100,000 files reads no windows.
  const types = ['bigint', 'bigint', 'bytea', 'bytea', 'text', 'text', 'bigint', 'boolean', 'boolean'];
  await client.query(
    `UPDATE cs_files f SET size = v.size, head = v.head, tail = v.tail, head_fp = v.head_fp, tail_fp = v.tail_fp, mtime_ms = v.mtime,
         generation = f.generation + CASE WHEN v.replaced THEN 1 ELSE 0 END,
         change_seq = CASE WHEN v.grew THEN nextval('cs_change_seq') ELSE f.change_seq END,
         updated_at = CASE WHEN v.grew THEN now() ELSE f.updated_at END
       FROM (VALUES ${valuesList(afters.length, types)}) AS v(id, size, head, tail, head_fp, tail_fp, mtime, replaced, grew)
       WHERE f.id = v.id`,
    afters.flatMap((a) => [a.id, a.size, a.head, a.tail, a.headFp, a.tailFp, a.mtimeMs, a.replaced, a.grew]),
  );
  return answers;
}
