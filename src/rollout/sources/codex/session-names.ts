import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { closeFd, isAbsentError, openInside, UnsafeFileError } from '../../files/fs-safety.js';
import { chunksOf, fdSource, readExactly, type ByteSource } from '../../reading/byte-source.js';
import { readRecord, splitLines } from '../../reading/jsonl-lines.js';
import type { Degradations } from '../../degraded.js';
import { isExhausted, scanFailed } from '../../errors.js';
import { toUtcIso } from './summary.js';

export const SESSION_INDEX_FILE = 'session_index.jsonl';
const MAX_INDEX_LINE_BYTES = 64 * 1024;
/**
 * Bytes of session_index.jsonl that are read at most. Codex appends one short line (~150 bytes)
 * per rename, so 8 MiB is some 50,000 renames; a larger file is read up to here, the rest is
 * ignored and reported as degraded, so that a huge or hostile file costs bounded time and memory.
 */
export const MAX_INDEX_BYTES = 8 * 1024 * 1024;

/**
 * One `session_index.jsonl` record into `names` (lower-case id → name): the latest `updated_at`
 * wins, a record without one loses to any with one, and of equal times the later line wins.
 */
export function applyNameRecord(record: Record<string, unknown>, names: Map<string, string>, times: Map<string, number>): void {
  const { id, thread_name: name, updated_at: updatedAt } = record;
  if (typeof id !== 'string' || typeof name !== 'string') return;
  const iso = toUtcIso(updatedAt);
  const at = iso === null ? Number.NEGATIVE_INFINITY : Date.parse(iso);
  const key = id.toLowerCase();
  const previous = times.get(key);
  if (previous === undefined || at >= previous) {
    times.set(key, at);
    names.set(key, name);
  }
}
/** Bytes at the start and at the end of what was read that must be unchanged for a read to continue from there. */
const FINGERPRINT_BYTES = 256;
const DEGRADED_KEY = 'names';

/** What was read of the file so far: names can be added by reading on from `offset`. */
interface ReadState {
  dev: number;
  ino: number;
  /** Bytes consumed: the end of the last complete line. */
  offset: number;
  /** The stat the state answers for (unchanged: nothing to do). */
  version: string;
  first: Buffer;
  last: Buffer;
  /** The read stopped at MAX_INDEX_BYTES: appends are not read. */
  capped: boolean;
}

const errnoCode = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code ?? 'error';
const versionOf = (st: Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/**
 * User-set session names from `session_index.jsonl` (`{id, thread_name, updated_at}` lines).
 * For an id named more than once, the entry with the latest `updated_at` wins (file order
 * breaks ties).
 *
 * The file gets the same checks as a rollout: it must be a regular file whose real path lies
 * inside the home (a FIFO, a device or a link out is never opened), and it is read within
 * MAX_INDEX_BYTES. It is read once and then incrementally: an append is read from where the
 * last read stopped; a file that was replaced, truncated or rewritten is read again from the
 * start. Concurrent requests share one read. When the file cannot be used, names are null and
 * the condition is reported once as degraded; it is never an error of a request.
 */
export class SessionNames {
  private names = new Map<string, string>();
  private times = new Map<string, number>();
  private state: ReadState | null = null;
  private reading: Promise<void> | null = null;
  private realHome: string | undefined;
  /** Bytes of lines read so far, over all reads (an append costs only its own bytes). */
  bytesRead = 0;

  constructor(
    private readonly codexHome: string,
    private readonly degraded?: Degradations,
  ) {}

  async load(): Promise<ReadonlyMap<string, string>> {
    const path = join(this.codexHome, SESSION_INDEX_FILE);
    let st: Stats;
    try {
      st = await stat(path); // follows links; a stat never blocks on a FIFO
    } catch (err) {
      if (isAbsentError(err)) {
        this.reset();
        this.degraded?.clear(DEGRADED_KEY);
        return this.names;
      }
      return this.unusable(`cannot stat ${SESSION_INDEX_FILE} (${errnoCode(err)})`, err);
    }
    if (!st.isFile()) return this.unusable(`${SESSION_INDEX_FILE} is not a regular file`);
    if (this.state?.version === versionOf(st)) return this.names;
    this.reading ??= this.readOn(path).finally(() => (this.reading = null));
    await this.reading;
    return this.names;
  }

  private reset(): void {
    this.names = new Map();
    this.times = new Map();
    this.state = null;
  }

  private unusable(message: string, cause?: unknown): ReadonlyMap<string, string> {
    this.reset();
    this.degraded?.note(DEGRADED_KEY, `${message}: user-set names are null`, cause);
    return this.names;
  }

  /** Reads what is new in the file (everything, when it is not the file read before). */
  private async readOn(path: string): Promise<void> {
    let fd: number;
    let st: Stats;
    try {
      this.realHome ??= await realpath(this.codexHome);
      ({ fd, stat: st } = await openInside(path, this.realHome));
    } catch (err) {
      if (isExhausted(err)) throw scanFailed(`cannot open ${SESSION_INDEX_FILE}`, err);
      if (isAbsentError(err)) this.reset();
      // An errno error's message names the absolute path: /readyz shows only its code.
      else this.unusable(`cannot open ${SESSION_INDEX_FILE} (${err instanceof UnsafeFileError ? err.message : errnoCode(err)})`, err);
      return;
    }
    try {
      const source = fdSource(fd);
      if (!(await this.continues(source, st))) this.reset();
      const from = this.state?.offset ?? 0;
      const to = this.state?.capped ? from : Math.min(st.size, MAX_INDEX_BYTES);
      const offset = await this.take(source, from, to);
      const [first, last] = await Promise.all([
        readExactly(source, 0, Math.min(FINGERPRINT_BYTES, offset)),
        readExactly(source, Math.max(0, offset - FINGERPRINT_BYTES), Math.min(FINGERPRINT_BYTES, offset)),
      ]);
      const empty = Buffer.alloc(0);
      const capped = st.size > MAX_INDEX_BYTES;
      this.state = { dev: st.dev, ino: st.ino, offset, version: versionOf(st), first: first ?? empty, last: last ?? empty, capped };
      if (capped) {
        this.degraded?.note(DEGRADED_KEY, `${SESSION_INDEX_FILE} is larger than ${MAX_INDEX_BYTES} bytes: names after that are ignored`);
      } else {
        this.degraded?.clear(DEGRADED_KEY);
      }
    } catch (err) {
      if (isExhausted(err)) throw scanFailed(`cannot read ${SESSION_INDEX_FILE}`, err);
      this.unusable(`cannot read ${SESSION_INDEX_FILE} (${errnoCode(err)})`, err);
    } finally {
      await closeFd(fd);
    }
  }

  /** True when the open file is the one read before, with only bytes appended since. */
  private async continues(source: ByteSource, st: Stats): Promise<boolean> {
    const s = this.state;
    if (s === null || s.dev !== st.dev || s.ino !== st.ino || st.size < s.offset) return false;
    const [first, last] = await Promise.all([
      readExactly(source, 0, s.first.length),
      readExactly(source, s.offset - s.last.length, s.last.length),
    ]);
    return first !== null && last !== null && first.equals(s.first) && last.equals(s.last);
  }

  /** Applies the lines between `from` and `to`; returns the end of the last complete line. */
  private async take(source: ByteSource, from: number, to: number): Promise<number> {
    let end = from;
    let last = { offset: from, terminated: true };
    const counted = async function* () {
      for await (const chunk of chunksOf(source, to, from)) {
        end += chunk.length;
        yield chunk;
      }
    };
    for await (const line of splitLines(counted(), MAX_INDEX_LINE_BYTES, from)) {
      last = line;
      const parsed = readRecord(line, MAX_INDEX_LINE_BYTES);
      if (parsed?.ok) applyNameRecord(parsed.record, this.names, this.times);
    }
    this.bytesRead += end - from;
    // A last line without its newline is read again next time (applying it twice changes nothing).
    return last.terminated ? end : last.offset;
  }
}
