import type { Stats } from 'node:fs';
import type pg from 'pg';
import { wholeMtimeMs, type FileStamp } from '../../rollout/files/file-stamp.js';
import { chunksOf, type ByteSource } from '../../rollout/reading/byte-source.js';
import { readRecord, splitLines } from '../../rollout/reading/jsonl-lines.js';
import type { OpenRollout } from '../../rollout/reading/session-reader.js';
import { MAX_INDEX_BYTES, SESSION_INDEX_FILE, applyNameRecord } from '../../rollout/sources/codex/session-names.js';
import type { RolloutFile } from '../../rollout/types.js';
import { ChunkSource } from './chunk-source.js';
import { PUSHED_PREFIX, machineOf } from './home.js';
import { stampOfHeld, type HeldFile } from './pushed-file.js';

/** The machine and path of a pushed file (pushedFile: its absPath is `pushed:<machine>/<path>`); null for any other file. */
export function placeOf(file: RolloutFile): { machine: string; path: string } | null {
  if (!file.absPath.startsWith(PUSHED_PREFIX)) return null;
  const slash = file.absPath.indexOf('/');
  const machine = machineOf(file.absPath.slice(0, slash));
  return machine === null || slash < 0 ? null : { machine, path: file.relPath };
}

const HELD_COLUMNS = 'id::text AS id, machine, path, size::float8 AS size, mtime_ms::float8 AS "mtimeMs", generation';

async function held(db: pg.Pool, machine: string, path: string): Promise<HeldFile | null> {
  const { rows } = await db.query<HeldFile>({
    name: 'cs-held-at',
    text: `SELECT ${HELD_COLUMNS} FROM cs_files WHERE machine = $1 AND path = $2`,
    values: [machine, path],
  });
  return rows[0] ?? null;
}

/** What the readers ask of a stat, for a pushed file: its stamp (stampOfHeld), and the pusher's mtime as the file's. */
function statOf(f: HeldFile): Stats {
  const stamp = stampOfHeld(f);
  const mtime = new Date(wholeMtimeMs(stamp.mtimeMs));
  // The readers (listing, conversation, NDJSON, record origins) read these fields only; no fs.Stats can be made for bytes in a database.
  return { ...stamp, mtime, ctime: mtime, isFile: () => true } as unknown as Stats;
}

/** A file that is not held: what openInside throws for a missing file, so that readers judge it the same (NotFound, skipped). */
function absent(path: string): Error {
  return Object.assign(new Error(`${path} is not held`), { code: 'ENOENT' });
}

/**
 * Opens a pushed file for the readers (ReadEnv.open): the length held now in cs_files, its bytes
 * from cs_chunks one slice at a time (ChunkSource). No descriptor: NDJSON streams from the source.
 * `growing` (a follower): the source reads on past that length, but only the bytes of this
 * generation (stat: `ino` is the file's id, `dev` its generation).
 */
export async function openPushed(db: pg.Pool, file: RolloutFile, growing = false): Promise<OpenRollout> {
  const place = placeOf(file);
  const found = place && (await held(db, place.machine, place.path));
  if (!found) throw absent(file.relPath);
  const source = growing
    ? new ChunkSource(db, found.id, Number.MAX_SAFE_INTEGER, found.generation)
    : new ChunkSource(db, found.id, found.size);
  return { source, fd: null, stat: statOf(found), close: async () => {} };
}

/**
 * The bytes of each file's start fetched by openPushedMany: head=10 of a Codex session is ~32 KiB
 * (its session meta carries the instructions), and a small file's tail lies in it too.
 */
const PREFIX_BYTES = 128 * 1024;

/** A held file whose first PREFIX_BYTES came with the page's query; reads past them go to cs_chunks (ChunkSource). */
class PrefixedSource implements ByteSource {
  private rest: ChunkSource | null = null;

  constructor(
    private readonly prefix: Buffer,
    private readonly size: number,
    private readonly restOf: () => ChunkSource,
  ) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (length <= 0 || position >= this.size) return Promise.resolve({ bytesRead: 0 });
    if (position < this.prefix.length) {
      const n = Math.min(length, this.prefix.length - position, this.size - position);
      this.prefix.copy(buffer, offset, position, position + n);
      return Promise.resolve({ bytesRead: n });
    }
    this.rest ??= this.restOf();
    return this.rest.read(buffer, offset, length, position);
  }
}

/**
 * Pushed files opened in batches (a list page, a search's batch of candidates) with one query
 * each, where openPushed asks one per file and then one per slice: each file's row and the start
 * of its first chunk, read in one snapshot. `open` (a ReadEnv.open) hands each opened file out
 * once; any other file, or one not held, is opened by openPushed (which finds it absent).
 */
export class PushedOpens {
  private readonly opened = new Map<string, OpenRollout>();
  private readonly stats = new Map<string, Stats>();

  /**
   * `known`: the stamp of a file whose listing read the caller keeps (ListingCache): when the
   * file is still that one (same id, generation, length and mtime) its bytes are not fetched, as
   * the kept read answers. The bytes of one generation up to a length never change (chunks are
   * only appended, a replacement bumps the generation); a read that needs them after all (the
   * kept read was dropped meanwhile) fetches them from cs_chunks.
   */
  constructor(
    private readonly db: pg.Pool,
    private readonly known: (file: RolloutFile) => FileStamp | undefined = () => undefined,
  ) {}

  async prefetch(files: readonly RolloutFile[]): Promise<void> {
    const wanted = files.map((file) => ({ file, place: placeOf(file) })).filter((w) => w.place !== null);
    if (wanted.length === 0) return;
    const stamps = wanted.map((w) => this.known(w.file));
    const { rows } = await this.db.query<HeldFile & { prefix: string | null }>({
      name: 'cs-held-prefixes',
      // Base64: node-postgres receives a bytea as hex text, twice the bytes, decoded in JavaScript (chunk-source.ts).
      text: `SELECT f.id::text AS id, f.machine, f.path, f.size::float8 AS size, f.mtime_ms::float8 AS "mtimeMs", f.generation,
                    CASE WHEN f.id = w.id AND f.generation = w.generation AND f.size = w.size
                              AND coalesce(f.mtime_ms, 0)::float8 = w.mtime THEN NULL
                         ELSE (SELECT encode(substring(c.data FROM 1 FOR $3::int), 'base64') FROM cs_chunks c
                                WHERE c.file_id = f.id AND c."offset" = 0) END AS prefix
               FROM unnest($1::text[], $2::text[], $4::bigint[], $5::int[], $6::float8[], $7::float8[])
                 AS w(machine, path, id, generation, size, mtime)
               JOIN cs_files f ON f.machine = w.machine AND f.path = w.path COLLATE "C"`,
      values: [
        wanted.map((w) => w.place!.machine),
        wanted.map((w) => w.place!.path),
        PREFIX_BYTES,
        stamps.map((k) => k?.ino ?? null),
        stamps.map((k) => k?.dev ?? null),
        stamps.map((k) => k?.size ?? null),
        stamps.map((k) => k?.mtimeMs ?? null),
      ],
    });
    for (const { prefix, ...f } of rows) {
      const data = prefix === null ? Buffer.alloc(0) : Buffer.from(prefix, 'base64');
      const source = new PrefixedSource(data, f.size, () => new ChunkSource(this.db, f.id, f.size));
      const stat = statOf(f);
      this.stats.set(`${f.machine}/${f.path}`, stat);
      this.opened.set(`${f.machine}/${f.path}`, { source, fd: null, stat, close: async () => {} });
    }
  }

  /** The stat of a prefetched file as its row said (null: not held, or not prefetched). */
  readonly statOf = async (file: RolloutFile): Promise<Stats | null> => {
    const place = placeOf(file);
    return (place && this.stats.get(`${place.machine}/${place.path}`)) ?? null;
  };

  readonly open = async (file: RolloutFile): Promise<OpenRollout> => {
    const place = placeOf(file);
    const key = place && `${place.machine}/${place.path}`;
    const found = key === null ? undefined : this.opened.get(key);
    if (found === undefined) return openPushed(this.db, file);
    this.opened.delete(key!);
    return found;
  };
}

/**
 * User-set names of each machine, from its pushed session_index.jsonl, by the rules of
 * SessionNames (the latest updated_at wins, file order breaks ties, at most MAX_INDEX_BYTES
 * read), read again when the file held changed (its id, generation and size).
 */
export class PushedNames {
  private readonly cache = new Map<string, { version: string; names: Map<string, string> }>();

  constructor(private readonly db: pg.Pool) {}

  async of(machine: string): Promise<ReadonlyMap<string, string>> {
    const f = await held(this.db, machine, SESSION_INDEX_FILE);
    if (f === null) return new Map();
    const version = `${f.id}:${f.generation}:${f.size}`;
    const cached = this.cache.get(machine);
    if (cached?.version === version) return cached.names;
    const names = new Map<string, string>();
    const times = new Map<string, number>();
    const source = new ChunkSource(this.db, f.id, f.size);
    for await (const line of splitLines(chunksOf(source, Math.min(f.size, MAX_INDEX_BYTES)), 64 * 1024, 0)) {
      const parsed = readRecord(line, 64 * 1024);
      if (parsed?.ok) applyNameRecord(parsed.record, names, times);
    }
    this.cache.set(machine, { version, names });
    return names;
  }

  /** Every machine's names in one map, for matching `q` (an item's own name is its machine's: `of`). */
  async all(machines: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return merged(machines, await this.each(machines));
  }

  /** Each machine's names, read at once. */
  async each(machines: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, string>>> {
    return new Map(await Promise.all(machines.map(async (m) => [m, await this.of(m)] as const)));
  }
}

/** The names of `machines` in one map, a later machine's name of an id winning (PushedNames.all). */
export function merged(machines: readonly string[], each: ReadonlyMap<string, ReadonlyMap<string, string>>): ReadonlyMap<string, string> {
  const all = new Map<string, string>();
  for (const m of machines) for (const [id, name] of each.get(m) ?? []) all.set(id, name);
  return all;
}
