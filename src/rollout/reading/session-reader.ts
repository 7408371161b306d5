import type { Stats } from 'node:fs';
import { closeFd, openInside } from '../files/fs-safety.js';
import { CHUNK, chunksOf, fdSource, type ByteSource } from './byte-source.js';
import type { MemoryBudget } from './byte-budget.js';
import { DataUrlCutter } from './data-url-cut.js';
import { JsonShapeChecker } from './json-shape.js';
import { heldRecord, parseLine, readRecord, readUnheld, splitRawLines } from './jsonl-lines.js';
import type { RawLine, RecordText } from './jsonl-lines.js';
import type { JsonRecord, RolloutFile } from '../types.js';
import { FILES_AT_ONCE } from '../tuning.js';

export type { ByteSource } from './byte-source.js';

export interface ReadLimits {
  /** The title search stops at lines starting past this many bytes... */
  titleScanBytes: number;
  /** ...or past this many lines. */
  titleScanLines: number;
  /**
   * Longer lines are invalid ("line longer than N bytes") and skipped without being held in
   * memory. 16 MiB is far above Codex's largest lines (a pasted screenshot as a base64 data URL
   * is a few MiB).
   */
  maxLineBytes: number;
  /**
   * Longer lines are never held whole unless they must be parsed (a session meta, or a record
   * searched for the title, with their bytes from the memory budget's line pool): they stream
   * through a JSON shape check and are sent by re-reading their range. Real Codex lines are
   * mostly below 20 KiB.
   */
  holdLineBytes: number;
  /** Bytes of records one file read keeps in memory for a listing; records past it are kept as ranges of the file. */
  inlineBytesPerRead: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  titleScanBytes: 1024 * 1024,
  titleScanLines: 1000,
  maxLineBytes: 16 * 1024 * 1024,
  holdLineBytes: 64 * 1024,
  inlineBytesPerRead: 128 * 1024,
};

/** Memory a long line takes while it is parsed: its bytes, its text (up to two bytes a character) and the parsed value. */
const PARSE_FACTOR = 4;

/** What a read needs besides the file: where the home really is, the limits, and the memory budget. */
export interface ReadEnv {
  /** `realpath` of the Codex home: files are only opened inside it (openInside). */
  realRoot: string;
  limits: ReadLimits;
  budget: MemoryBudget;
  /** How long a parse of a long line may wait for the budget (default: the budget's wait; Infinity for background work). */
  waitMs?: number;
  /**
   * Opens a file's bytes from somewhere else than the disk (team mode: the pushed bytes in
   * PostgreSQL, src/team/read). Absent: the file under `realRoot` (openRollout).
   */
  open?: (file: RolloutFile) => Promise<OpenRollout>;
  /**
   * Long lines are parsed with every string of 1 KiB or more cut to its first 64 bytes, not only
   * data URLs (DataUrlCutter): for readers that need a record's numbers and ids, never its text
   * (a usage count), so that a 15 MiB text block does not become a 15 MiB string. Ids, models,
   * times, types and rate limits are never cut (WHOLE_FIELDS): a count stays exact.
   */
  cutLongStrings?: boolean;
}

/** Memory one request reads with, besides the records it keeps: a chunk buffer, a held line and its text. */
export function readWorkingSet(limits: ReadLimits): number {
  return CHUNK + 3 * limits.holdLineBytes;
}

/**
 * What a usage count (GET /conversations/:id/usage) may hold within the share its request
 * takes first: a session of some thousands of responses never grows its lease (see
 * usage/session-usage.ts, HeldMemory).
 */
export const COUNT_ALLOWANCE = 1024 * 1024;

/** What a request reads with: list pages, one session, raw bytes, or one session's usage count. */
export type RequestKind = 'list' | 'conversation' | 'bytes' | 'usage';

/**
 * A request's share of the memory budget: a list page reads up to FILES_AT_ONCE files at
 * once, a JSON session one file into a bounded body, raw bytes one chunk at a time, a usage
 * count one file and COUNT_ALLOWANCE (more as it grows).
 */
export function requestShare(limits: ReadLimits, kind: RequestKind, limit: number): number {
  if (kind === 'usage') return requestShare(limits, 'conversation', 0) + COUNT_ALLOWANCE;
  const reads = kind === 'list' ? Math.min(FILES_AT_ONCE, limit + 1) : kind === 'conversation' ? 1 : 0;
  return reads * readWorkingSet(limits) + (kind === 'list' ? 0 : 2 * CHUNK);
}

/**
 * Parses a line that was not held, with its long data-URL strings cut (DataUrlCutter): its
 * bytes are read once to measure what remains, then again to parse that, within the budget's
 * line pool (waiting for room, or failing with Unavailable after the budget's wait). Null when
 * the file no longer has those bytes as they were checked (truncated or rewritten under us).
 */
export async function parseUnheld(source: ByteSource, range: RecordText, env: ReadEnv): Promise<JsonRecord | null> {
  const every = env.cutLongStrings === true;
  const measured = await cutRange(source, range, new DataUrlCutter(false, every));
  if (measured === null) return null;
  const release = await env.budget.lines.acquire(PARSE_FACTOR * measured.size, env.waitMs);
  try {
    const cut = await cutRange(source, range, new DataUrlCutter(true, every));
    return cut === null ? null : (JSON.parse(cut.text()) as JsonRecord);
  } catch {
    return null;
  } finally {
    release();
  }
}

/** The line's bytes through `cutter`, a chunk at a time; null when the file ends before the line does. */
async function cutRange(source: ByteSource, range: RecordText, cutter: DataUrlCutter): Promise<DataUrlCutter | null> {
  let read = 0;
  for await (const chunk of chunksOf(source, range.offset + range.length, range.offset)) {
    cutter.feed(chunk);
    read += chunk.length;
  }
  return read === range.length ? cutter : null;
}

/** Where a read of a file's lines starts: a line's first byte and its 1-based number. */
export interface LinePosition {
  offset: number;
  lineNo: number;
}

/** One newline-terminated line: its record, or null when it is not a JSON object. `end` is just past its newline. */
export interface TerminatedLine {
  lineNo: number;
  offset: number;
  end: number;
  record: JsonRecord | null;
}

/**
 * The newline-terminated lines of `handle` from `from` up to byte `size`, parsed. A last line
 * without its newline is not returned (the writer may be in the middle of it): a reader that
 * resumes from the last `end` sees it once it is complete. Lines over the limit are invalid.
 */
export async function* terminatedLines(handle: ByteSource, from: LinePosition, size: number, env: ReadEnv): AsyncGenerator<TerminatedLine> {
  const { maxLineBytes, holdLineBytes } = env.limits;
  for await (const raw of splitRawLines(chunksOf(handle, size, from.offset), maxLineBytes, { ...from, holdBytes: holdLineBytes })) {
    if (!raw.terminated) return;
    let record: JsonRecord | null = null;
    if (raw.bytes !== null) {
      const text = raw.bytes.toString('utf8');
      const parsed = parseLine({ lineNo: raw.lineNo, offset: raw.offset, text, terminated: true }, maxLineBytes);
      if (parsed.ok) record = parsed.record;
    } else {
      // A long line is parsed only when it is an object, with its bytes from the budget's line pool.
      const unheld = readUnheld(raw, maxLineBytes);
      if (unheld?.ok) record = await parseUnheld(handle, unheld.ref, env);
    }
    yield { lineNo: raw.lineNo, offset: raw.offset, end: raw.end, record };
  }
}

/** Bytes of held records a read may still keep in memory. */
export interface Allowance {
  left: number;
}

/** A held line's record, kept in memory while the allowance lasts, as a range of the file after that. */
export function keepHeld(raw: RawLine, text: string, allowance: Allowance): RecordText {
  const bytes = raw.bytes as Buffer;
  const keep = bytes.length <= allowance.left;
  if (keep) allowance.left -= bytes.length;
  return heldRecord(raw.offset, bytes, text, keep);
}

/** The line `[start, end)` of a file, checked as it streams by (for lines too long to hold). */
async function checkRange(source: ByteSource, start: number, end: number, terminated: boolean, maxLineBytes: number) {
  const checker = new JsonShapeChecker();
  for await (const chunk of chunksOf(source, end, start)) checker.feed(chunk);
  const shape = checker.report();
  const line = { lineNo: 0, offset: start, length: end - start, end: terminated ? end + 1 : end, bytes: null, terminated, shape };
  return readUnheld(line, maxLineBytes);
}

/**
 * The last `count` records of the file as their JSON text (see RecordText), read backwards in
 * chunks from byte `size`, so the cost does not depend on the file's length. Invalid lines and
 * an unfinished last line are skipped. A line longer than the hold bound is not held: it is
 * checked by streaming it forward once its start is known, and kept as a range of the file.
 */
export async function readTail(
  source: ByteSource,
  size: number,
  count: number,
  limits: ReadLimits,
  allowance: Allowance = { left: limits.inlineBytesPerRead },
): Promise<RecordText[]> {
  const found: RecordText[] = [];
  // The held bytes of the line being assembled, nearest-to-start first; they lie after every newline seen so far.
  let carry: Buffer[] = [];
  let carryLen = 0;
  let held = true;
  // The end of the line being assembled: its newline, or the end of the file.
  let lineEnd = size;
  // The first line met going backwards has no newline after it: it may be half-written.
  let terminated = false;
  const emit = async (lineStart: number) => {
    const length = lineEnd - lineStart;
    if (length <= limits.maxLineBytes && (length > 0 || terminated)) {
      if (held) {
        const bytes = Buffer.concat(carry, carryLen);
        const text = bytes.toString('utf8');
        const parsed = readRecord({ lineNo: 0, offset: 0, text, terminated }, limits.maxLineBytes);
        const line = { lineNo: 0, offset: lineStart, length, end: lineEnd + 1, bytes, terminated };
        if (parsed?.ok) found.push(keepHeld(line, text, allowance));
      } else {
        const verdict = await checkRange(source, lineStart, lineEnd, terminated, limits.maxLineBytes);
        if (verdict?.ok) found.push(verdict.ref);
      }
    }
    carry = [];
    carryLen = 0;
    held = true;
    terminated = true;
    lineEnd = lineStart - 1;
  };
  const prepend = (bytes: Buffer) => {
    if (!held || bytes.length === 0) return;
    if (carryLen + bytes.length > limits.holdLineBytes) {
      held = false;
      carry = [];
      carryLen = 0;
      return;
    }
    carry.unshift(Buffer.from(bytes));
    carryLen += bytes.length;
  };
  let end = size;
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
  while (end > 0 && found.length < count) {
    const start = Math.max(0, end - CHUNK);
    const length = end - start;
    // A source may answer part of a range (a pushed file's chunks end where they end): read on until it is whole.
    let got = 0;
    for (let n = -1; got < length && n !== 0; got += n) n = (await source.read(chunk, got, length - got, start + got)).bytesRead;
    if (got < length) break; // the file shrank under us: keep what we have
    let pos = length;
    while (pos > 0 && found.length < count) {
      const nl = chunk.lastIndexOf(0x0a, pos - 1);
      prepend(chunk.subarray(nl + 1, pos));
      if (nl === -1) break;
      await emit(start + nl + 1);
      pos = nl;
    }
    end = start;
  }
  if (end === 0 && found.length < count) await emit(0);
  return found.reverse();
}

/** An open rollout file: positional reads, the fstat taken when it was opened, and close. */
export interface OpenRollout {
  source: ByteSource;
  /** The descriptor, for streams of the bytes as they are; null when the bytes are not a local file (ReadEnv.open). */
  fd: number | null;
  /** For bytes not on the disk: dev and ino are the store's identity of the file, mtime the writer's (FileStamp rules hold). */
  stat: Stats;
  close(): Promise<void>;
}

/**
 * Opens a rollout file (only a regular file inside the home: see openInside) and takes a
 * snapshot of its size and times. The caller closes it.
 */
export async function openRollout(file: RolloutFile, realRoot: string): Promise<OpenRollout> {
  const { fd, stat } = await openInside(file.absPath, realRoot);
  let closed: Promise<void> | null = null;
  return { fd, stat, source: fdSource(fd), close: () => (closed ??= closeFd(fd)) };
}

/** Opens a rollout file where `env` reads: ReadEnv.open, or the disk under its real root. */
export function openIn(file: RolloutFile, env: Pick<ReadEnv, 'realRoot' | 'open'>): Promise<OpenRollout> {
  return env.open ? env.open(file) : openRollout(file, env.realRoot);
}

/**
 * The newline-terminated lines of `handle` from byte `from` (a line's start) up to `size`, as
 * raw bytes (terminatedLines, unparsed): a follower sends each line's own text. A last line
 * without its newline is not returned.
 */
export async function* terminatedRawLines(handle: ByteSource, from: number, size: number, limits: ReadLimits): AsyncGenerator<RawLine> {
  const { maxLineBytes, holdLineBytes: holdBytes } = limits;
  for await (const raw of splitRawLines(chunksOf(handle, size, from), maxLineBytes, { offset: from, holdBytes })) {
    if (!raw.terminated) return;
    yield raw;
  }
}
