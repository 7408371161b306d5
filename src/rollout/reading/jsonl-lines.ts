import { isUtf8 } from 'node:buffer';
import type { JsonRecord } from '../types.js';

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
  for await (const raw of splitRawLines(chunks, maxLineBytes, startOffset)) {
    const text = raw.bytes === null ? null : raw.bytes.toString('utf8');
    yield { lineNo: raw.lineNo, offset: raw.offset, text, terminated: raw.terminated };
  }
}

/** A line as bytes: `bytes` is a view that stays valid only until the next line is asked for. */
export interface RawLine {
  lineNo: number;
  offset: number;
  /** Just past the line's newline (or its last byte, for a last line without one). */
  end: number;
  /** The line without its newline; null when it was longer than the limit. Copy it to keep it. */
  bytes: Buffer | null;
  terminated: boolean;
}

/**
 * splitLines without the decoding: the same lines, numbers, offsets and limits, each as a view
 * of its bytes (no copy when the line lies within one chunk). For readers that keep some lines
 * as raw bytes and decode only those they must look into.
 */
export async function* splitRawLines(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  maxLineBytes: number,
  startOffset = 0,
  startLine = 1,
): AsyncGenerator<RawLine> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let tooLong = false;
  let lineNo = startLine;
  let lineStart = startOffset;
  let offset = startOffset;
  for await (const chunk of chunks) {
    let pos = 0;
    for (let nl = chunk.indexOf(NEWLINE, pos); nl !== -1; nl = chunk.indexOf(NEWLINE, pos)) {
      const piece = chunk.subarray(pos, nl);
      const overLimit = tooLong || pendingLen + piece.length > maxLineBytes;
      const bytes = overLimit ? null : pendingLen === 0 ? piece : Buffer.concat([...pending, piece]);
      yield { lineNo, offset: lineStart, end: offset + nl + 1, bytes, terminated: true };
      lineNo += 1;
      lineStart = offset + nl + 1;
      pending = [];
      pendingLen = 0;
      tooLong = false;
      pos = nl + 1;
    }
    offset += chunk.length;
    if (pos < chunk.length && !tooLong) {
      const rest = chunk.subarray(pos);
      if (pendingLen + rest.length > maxLineBytes) {
        tooLong = true;
        pending = [];
        pendingLen = 0;
      } else {
        pending.push(Buffer.from(rest));
        pendingLen += rest.length;
      }
    }
  }
  if (tooLong || pendingLen > 0) {
    yield { lineNo, offset: lineStart, end: offset, bytes: tooLong ? null : Buffer.concat(pending), terminated: false };
  }
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;

/**
 * The bytes of a line that parsed as a record, as the record's own JSON text: trimmed of
 * surrounding whitespace (for a valid record only JSON's space, tab and CR can be there), and
 * copied so that it outlives the read buffer. Bytes that are not valid UTF-8 were decoded
 * with replacement characters: then the decoded text is re-encoded, so the result is always
 * valid UTF-8.
 */
export function recordBytes(bytes: Buffer, text: string): Buffer {
  if (!isUtf8(bytes)) return Buffer.from(text.trim(), 'utf8');
  let start = 0;
  let end = bytes.length;
  while (start < end && isBlank(bytes[start] as number)) start += 1;
  while (end > start && isBlank(bytes[end - 1] as number)) end -= 1;
  return Buffer.from(bytes.subarray(start, end));
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
