import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { chunksOf, type ByteSource } from './byte-source.js';
import type { JsonRecord, RecordText } from '../types.js';

export type { RecordText } from '../types.js';
import { JsonShapeChecker, type ShapeReport } from './json-shape.js';

const NEWLINE = 0x0a;

export interface Line {
  /** 1-based line number. */
  lineNo: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line without its newline; null when it was longer than the limit (its bytes were dropped). */
  text: string | null;
  /** False for a last line with no newline yet: the writer may be in the middle of it. */
  terminated: boolean;
}

/**
 * Splits a byte stream into lines without holding more than one line (at most `maxLineBytes`)
 * in memory. A longer line is reported with `text: null` and its bytes are skipped.
 * (splitRawLines, decoded.)
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  maxLineBytes: number,
  startOffset = 0,
): AsyncGenerator<Line> {
  for await (const raw of splitRawLines(chunks, maxLineBytes, { offset: startOffset })) {
    const text = raw.bytes === null ? null : raw.bytes.toString('utf8');
    yield { lineNo: raw.lineNo, offset: raw.offset, text, terminated: raw.terminated };
  }
}

/** A line as bytes: `bytes` is a view that stays valid only until the next line is asked for. */
export interface RawLine {
  lineNo: number;
  offset: number;
  /** Bytes of the line without its newline. */
  length: number;
  /** Just past the line's newline (or its last byte, for a last line without one). */
  end: number;
  /**
   * The line without its newline; null when it was longer than the limit, or longer than the
   * hold bound (then `shape` says what it is). Copy it to keep it.
   */
  bytes: Buffer | null;
  terminated: boolean;
  /** A line longer than the hold bound (and within the limit): what it is, decided while it streamed by. */
  shape?: ShapeReport;
}

/**
 * splitLines without the decoding: the same lines, numbers, offsets and limits, each as a view
 * of its bytes (no copy when the line lies within one chunk). For readers that keep some lines
 * as raw bytes and decode only those they must look into.
 *
 * A line longer than `holdBytes` is not held at all: its bytes stream through a JsonShapeChecker
 * and it comes out with `bytes: null` and a `shape`, so memory stays at one chunk plus
 * `holdBytes` whatever the line's length. A reader that needs such a line's bytes reads them
 * again by offset (see `RecordText`).
 */
export async function* splitRawLines(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  maxLineBytes: number,
  from: { offset?: number; lineNo?: number; holdBytes?: number } = {},
): AsyncGenerator<RawLine> {
  let pending: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  const holdBytes = from.holdBytes ?? maxLineBytes;
  let checker: JsonShapeChecker | null = null;
  let lineNo = from.lineNo ?? 1;
  let lineStart = from.offset ?? 0;
  let offset = lineStart;
  const add = (piece: Buffer, keep: boolean) => {
    length += piece.length;
    if (tooLong || piece.length === 0) return;
    if (length > maxLineBytes) {
      tooLong = true;
      pending = [];
      checker = null;
    } else if (checker !== null) {
      checker.feed(piece);
    } else if (length > holdBytes) {
      checker = new JsonShapeChecker();
      for (const held of pending) checker.feed(held);
      checker.feed(piece);
      pending = [];
    } else {
      pending.push(keep ? Buffer.from(piece) : piece);
    }
  };
  const line = (terminated: boolean, end: number): RawLine => {
    const base = { lineNo, offset: lineStart, length, end, terminated };
    if (tooLong) return { ...base, bytes: null };
    if (checker !== null) return { ...base, bytes: null, shape: (checker as JsonShapeChecker).report() };
    return { ...base, bytes: pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, length) };
  };
  for await (const chunk of chunks) {
    let pos = 0;
    for (let nl = chunk.indexOf(NEWLINE, pos); nl !== -1; nl = chunk.indexOf(NEWLINE, pos)) {
      add(chunk.subarray(pos, nl), false); // a view: the line is handed out before the next chunk is read
      yield line(true, offset + nl + 1);
      lineNo += 1;
      lineStart = offset + nl + 1;
      pending = [];
      length = 0;
      tooLong = false;
      checker = null;
      pos = nl + 1;
    }
    if (pos < chunk.length) add(chunk.subarray(pos), true);
    offset += chunk.length;
  }
  if (length > 0) yield line(false, offset);
}

const SHAPE_REASONS = { empty: 'empty line', invalid: 'not valid JSON', other: 'not a JSON object' } as const;

/**
 * readRecord for a line that was not held (see splitRawLines): the same verdicts, from its
 * shape. A record comes back as the range of its text in the file.
 */
export function readUnheld(line: RawLine, maxLineBytes: number): { ok: true; ref: RecordText } | { ok: false; reason: string } | null {
  const shape = line.shape;
  if (shape === undefined) return line.terminated ? { ok: false, reason: `line longer than ${maxLineBytes} bytes` } : null;
  if (shape.shape !== 'object') return line.terminated ? { ok: false, reason: SHAPE_REASONS[shape.shape] } : null;
  return { ok: true, ref: { offset: line.offset + shape.start, length: shape.end - shape.start, utf8: shape.utf8 } };
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;

/**
 * A held line that parsed as a record, as the record's own JSON text: the range without the
 * white space around it (for a valid record only JSON's space, tab and CR can be there), with
 * its bytes copied so that they outlive the read buffer when `keep` is true. Bytes that are not
 * valid UTF-8 were decoded with replacement characters: then the decoded text is re-encoded, so
 * the bytes are always valid UTF-8.
 */
export function heldRecord(lineOffset: number, bytes: Buffer, text: string, keep: boolean): RecordText {
  let start = 0;
  let end = bytes.length;
  while (start < end && isBlank(bytes[start] as number)) start += 1;
  while (end > start && isBlank(bytes[end - 1] as number)) end -= 1;
  const range = bytes.subarray(start, end);
  const utf8 = isUtf8(range);
  const record: RecordText = { offset: lineOffset + start, length: end - start, utf8 };
  if (keep) record.bytes = utf8 ? Buffer.from(range) : Buffer.from(text.trim(), 'utf8');
  return record;
}

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === CR || byte === NEWLINE;
}

export type ParsedLine = { ok: true; record: JsonRecord } | { ok: false; reason: string };

/** A line is a record when it is one JSON object; anything else is an invalid line with a content-free reason. */
export function parseLine(line: Line, maxLineBytes: number): ParsedLine {
  if (line.text === null) return { ok: false, reason: `line longer than ${maxLineBytes} bytes` };
  if (line.text.trim() === '') return { ok: false, reason: 'empty line' };
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  return { ok: true, record: value as JsonRecord };
}

/**
 * Classifies a line for readers: a record, an invalid line, or nothing at all. An unterminated
 * last line counts only when it is already a whole JSON object (a file that merely lacks its
 * final newline); otherwise the writer is mid-line and it is silently left out.
 */
export function readRecord(line: Line, maxLineBytes: number): ParsedLine | null {
  const parsed = parseLine(line, maxLineBytes);
  if (!line.terminated && !parsed.ok) return null;
  return parsed;
}

/**
 * A record's text in chunks of at most CHUNK bytes, each a fresh buffer: its held bytes, or its
 * range read again from `source` (decoded and re-encoded when it is not valid UTF-8, exactly as
 * a held record is). Throws when the file no longer has the whole range: the caller must not
 * send half a record.
 */
export async function* recordChunks(source: ByteSource, text: RecordText): AsyncGenerator<Buffer> {
  if (text.bytes !== undefined) {
    yield text.bytes;
    return;
  }
  const decoder = text.utf8 ? null : new StringDecoder('utf8');
  let read = 0;
  for await (const chunk of chunksOf(source, text.offset + text.length, text.offset)) {
    read += chunk.length;
    yield decoder === null ? Buffer.from(chunk) : Buffer.from(decoder.write(chunk), 'utf8');
  }
  if (decoder !== null) {
    const rest = decoder.end();
    if (rest !== '') yield Buffer.from(rest, 'utf8');
  }
  if (read < text.length) throw new Error('the file shrank while a record was read from it');
}
