// A pushed file's bytes as the index and the read routes get them (ChunkSource, firstSlices): byte
// for byte what was stored, whatever the bytes (every byte value, UTF-8 cut mid-character), across
// chunk and slice boundaries. They travel as base64 (chunk-source.ts): this proves the decoding.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { ChunkSource, firstSlices } from '../../src/team/read/chunk-source.js';
import { describePg, migratedDatabase } from './pg.js';

const MiB = 1024 * 1024;

/** Byte equality without vitest's element-by-element comparison of megabytes. */
function same(actual: Buffer | undefined, expected: Buffer): void {
  expect(actual?.length).toBe(expected.length);
  expect(actual !== undefined && actual.equals(expected)).toBe(true);
}

/** Bytes that are every byte value, then UTF-8 text with multi-byte characters, then random ones. */
function awkwardBytes(length: number): Buffer {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const text = Buffer.from('{"text":"é – 🙂 日本語"}\n'.repeat(Math.ceil(length / 30)));
  return Buffer.concat([all, text, randomBytes(length)]).subarray(0, length);
}

describePg('pushed bytes read back (ChunkSource, firstSlices)', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = openPool(await migratedDatabase());
    await migrate(pool);
  });
  afterAll(async () => {
    await pool?.end();
  });

  /** Stores `chunks` as one file's consecutive chunks; its id and the whole file. */
  async function store(path: string, chunks: Buffer[]): Promise<{ id: string; whole: Buffer }> {
    const whole = Buffer.concat(chunks);
    const { rows } = await pool.query<{ id: string }>(
      "INSERT INTO cs_files (machine, path, size) VALUES ('m', $1, $2) RETURNING id::text AS id",
      [path, whole.length],
    );
    const id = rows[0]!.id;
    let offset = 0;
    for (const chunk of chunks) {
      await pool.query('INSERT INTO cs_chunks (file_id, "offset", data) VALUES ($1, $2, $3)', [id, offset, chunk]);
      offset += chunk.length;
    }
    return { id, whole };
  }

  async function readAll(source: ChunkSource, size: number, step: number): Promise<Buffer> {
    const out = Buffer.alloc(size);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await source.read(out, at, Math.min(step, size - at), at);
      expect(bytesRead).toBeGreaterThan(0);
      at += bytesRead;
    }
    return out;
  }

  it('reads every byte back as stored, across chunks and slices, read whole or at odd steps', async () => {
    // Chunks of 4 MiB (the ingest bound), an odd length and one byte: slices of 1 MiB cut them anywhere.
    const chunks = [awkwardBytes(4 * MiB), awkwardBytes(MiB + 7), awkwardBytes(1)];
    const { id, whole } = await store('sessions/2025/01/01/rollout-a.jsonl', chunks);
    same(await readAll(new ChunkSource(pool, id, whole.length), whole.length, 3 * MiB), whole);
    same(await readAll(new ChunkSource(pool, id, whole.length, 1), whole.length, 65_537), whole);
    // A read past the length held finds nothing; one crossing it stops there.
    const source = new ChunkSource(pool, id, whole.length);
    const tail = Buffer.alloc(10);
    expect((await source.read(tail, 0, 10, whole.length)).bytesRead).toBe(0);
    expect((await source.read(tail, 0, 10, whole.length - 1)).bytesRead).toBe(1);
    expect(tail[0]).toBe(whole[whole.length - 1]);
    // Another generation reads nothing.
    expect((await new ChunkSource(pool, id, whole.length, 2).read(tail, 0, 10, 0)).bytesRead).toBe(0);
  });

  it('gives each file its first slice in one query, byte for byte, primed sources reading on', async () => {
    const small = await store('sessions/2025/01/01/rollout-b.jsonl', [awkwardBytes(1000)]);
    const empty = await store('sessions/2025/01/01/rollout-c.jsonl', [Buffer.alloc(0)]);
    const big = await store('sessions/2025/01/01/rollout-d.jsonl', [awkwardBytes(2 * MiB + 3)]);
    const slices = await firstSlices(pool, [small, empty, big].map(({ id }) => ({ id, generation: 1 })));
    same(slices.get(small.id), small.whole);
    same(slices.get(empty.id), Buffer.alloc(0));
    same(slices.get(big.id), big.whole.subarray(0, MiB));
    const primed = new ChunkSource(pool, big.id, big.whole.length, 1);
    primed.prime(slices.get(big.id)!);
    same(await readAll(primed, big.whole.length, 700_001), big.whole);
    expect((await firstSlices(pool, [{ id: small.id, generation: 2 }])).size).toBe(0);
  });

  it("reads a large file's head again without fetching it, as the content pass's checkpoints do", async () => {
    // The content pass fingerprints its first and last 4 KiB at every checkpoint (identity.ts)
    // while it reads on: the head came back from the database each time, and the slice it was
    // reading after it.
    const { id, whole } = await store('sessions/2025/01/01/rollout-e.jsonl', [awkwardBytes(3 * MiB + 5)]);
    const source = new ChunkSource(pool, id, whole.length, 1);
    const step = 64 * 1024;
    const out = Buffer.alloc(whole.length);
    const head = Buffer.alloc(4096);
    for (let at = 0; at < whole.length; ) {
      const { bytesRead } = await source.read(out, at, Math.min(step, whole.length - at), at);
      at += bytesRead;
      head.fill(0);
      expect((await source.read(head, 0, head.length, 0)).bytesRead).toBe(head.length);
      same(head, whole.subarray(0, head.length));
    }
    same(out, whole);
    // One fetch per slice of 1 MiB: the head is kept once its slice is gone.
    expect(source.fetched).toBe(4);
    // A read that goes past the kept head is still the file's bytes.
    const wider = Buffer.alloc(8192);
    expect((await source.read(wider, 0, wider.length, 0)).bytesRead).toBe(wider.length);
    same(wider, whole.subarray(0, wider.length));
  });
});
