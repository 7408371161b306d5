import type pg from 'pg';
import type { ByteSource } from '../../rollout/reading/byte-source.js';

/**
 * Bytes fetched per query. A chunk is up to 4 MiB (the ingest bound); a slice of it is what one
 * read holds, so that indexing FILES_AT_ONCE pushed files holds a few MiB, never whole chunks.
 * PostgreSQL decompresses an lz4 value only up to the slice's end (PostgreSQL 14+).
 */
const SLICE = 1024 * 1024;

/**
 * node-postgres receives a bytea as hex text (two characters a byte, decoded in JavaScript), and
 * its binary mode decodes every value as UTF-8 first (lossy); base64 is a third shorter and Node
 * decodes it natively (the line breaks PostgreSQL puts every 76 characters are skipped). About half
 * the CPU per byte of hex (docs/team.md, "Indexing pushed files").
 */
const fromBase64 = (text: string): Buffer => Buffer.from(text, 'base64');

/**
 * The first bytes of a file, kept when its first slice is replaced: the content pass fingerprints
 * what it indexed at every checkpoint (identity.ts: the first and last 4 KiB), so a file read past
 * its first slice fetched its head again each time, and then the slice it was reading (two slices
 * decompressed and encoded by PostgreSQL per checkpoint: most of the indexing of a large pushed file).
 */
const HEAD_KEPT = 4096;

/**
 * A pushed file's bytes (cs_chunks) as positional reads, for the readers that take a ByteSource:
 * one slice is held at a time, fetched from the chunk that covers the position. `size` is the
 * length held when the file was opened; reads past it find nothing. A file replaced meanwhile
 * reads other bytes: the upkeep notices by the generation (the stamp's `dev`) and starts over.
 */
export class ChunkSource implements ByteSource {
  private held: { offset: number; data: Buffer } | null = null;
  /** A copy of the file's first bytes (up to HEAD_KEPT), once a slice at 0 was let go. */
  private head: Buffer | null = null;
  /** Slices fetched; tests read it. */
  fetched = 0;

  /**
   * `generation`: read only the bytes of that generation of the file (a follower's, which reads on
   * as the file grows): once it is replaced, reads find nothing instead of the new file's bytes.
   */
  constructor(
    private readonly db: pg.Pool,
    private readonly fileId: string,
    private readonly size: number,
    private readonly generation?: number,
  ) {}

  /** Holds `data` as the file's bytes from 0 (its first slice, fetched with others' by firstSlices). */
  prime(data: Buffer): void {
    this.held = { offset: 0, data };
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (length <= 0 || position >= this.size) return { bytesRead: 0 };
    const { head } = this;
    if (head !== null && position + length <= head.length) {
      head.copy(buffer, offset, position, position + length);
      return { bytesRead: length };
    }
    let slice = this.held;
    if (slice === null || position < slice.offset || position >= slice.offset + slice.data.length) {
      if (slice !== null && slice.offset === 0 && head === null) {
        this.head = Buffer.from(slice.data.subarray(0, Math.min(HEAD_KEPT, slice.data.length, this.size)));
      }
      this.fetched++;
      const { rows } = await this.db.query<{ data: string | null }>(
        this.generation === undefined
          ? {
              name: 'cs-chunk-slice',
              text: `SELECT encode(substring(data FROM ($2::bigint - "offset")::int + 1 FOR $3::int), 'base64') AS data
                       FROM cs_chunks WHERE file_id = $1 AND "offset" <= $2::bigint ORDER BY "offset" DESC LIMIT 1`,
              values: [this.fileId, position, SLICE],
            }
          : {
              // One statement, one snapshot: a replacement commits its new chunks with the new generation.
              name: 'cs-chunk-slice-of',
              text: `SELECT encode(substring(c.data FROM ($2::bigint - c."offset")::int + 1 FOR $3::int), 'base64') AS data
                       FROM cs_chunks c JOIN cs_files f ON f.id = c.file_id AND f.generation = $4
                      WHERE c.file_id = $1 AND c."offset" <= $2::bigint ORDER BY c."offset" DESC LIMIT 1`,
              values: [this.fileId, position, SLICE, this.generation],
            },
      );
      const text = rows[0]?.data;
      if (text === undefined || text === null || text.length === 0) return { bytesRead: 0 };
      const data = fromBase64(text);
      slice = this.held = { offset: position, data };
    }
    const start = position - slice.offset;
    const n = Math.min(length, slice.data.length - start, this.size - position);
    slice.data.copy(buffer, offset, start, start + n);
    return { bytesRead: n };
  }
}

/**
 * The first slice of each of these files, of the generation given, in one query: an index pass
 * over many small pushed files reads them first (most sessions fit in one slice), and one round
 * trip per file was most of its waiting. A file replaced or gone meanwhile is absent.
 */
export async function firstSlices(db: pg.Pool, files: readonly { id: string; generation: number }[]): Promise<Map<string, Buffer>> {
  if (files.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; data: string }>({
    name: 'cs-chunk-first-slices',
    text: `SELECT c.file_id::text AS id, encode(substring(c.data FROM 1 FOR $3::int), 'base64') AS data
             FROM unnest($1::bigint[], $2::int[]) AS w(id, generation)
             JOIN cs_files f ON f.id = w.id AND f.generation = w.generation
             JOIN cs_chunks c ON c.file_id = w.id AND c."offset" = 0`,
    values: [files.map((f) => f.id), files.map((f) => f.generation), SLICE],
  });
  return new Map(rows.map((r) => [r.id, fromBase64(r.data)]));
}
