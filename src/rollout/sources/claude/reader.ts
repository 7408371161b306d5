import type { Stats } from 'node:fs';
import { chunksOf, readExactly, type ByteSource } from '../../reading/byte-source.js';
import { readRecord, readUnheld, splitRawLines } from '../../reading/jsonl-lines.js';
import { readListing } from '../../reading/listing-read.js';
import { keepHeld, parseUnheld, type Allowance, type ReadEnv } from '../../reading/session-reader.js';
import type { JsonRecord, RecordText, RolloutLogger, SessionSummary } from '../../types.js';
import type { ClaudeFile } from './discovery.js';
import { ClaudeSessionScanner, claudeRolloutFile, type ClaudeSessionFacts } from './session-head.js';

/** The head of a Claude transcript: the same shape as a Codex SessionHead, plus the Claude facts. */
export interface ClaudeSessionHead {
  summary: SessionSummary;
  facts: ClaudeSessionFacts;
  /** False when no real prompt was found within the title bound. */
  hasUserMessage: boolean;
  head: RecordText[];
}

export interface ClaudeSessionRead extends ClaudeSessionHead {
  tail: RecordText[];
  stat: Stats;
}

/** A listing read of a Claude file (null: unreadable; `read` null: not a transcript). */
export type ClaudeListingRead = { stat: Stats; read: ClaudeSessionRead | null } | null;

/**
 * Reads a Claude transcript from the start until it knows the session's start time, title,
 * model (the first assistant line's) and `headCount` first records, within the same bounds as a Codex head (`titleScanBytes`,
 * `titleScanLines`); records are their own JSON text, never re-serialised. Returns null when
 * the file holds no record at all within the bound (an empty file, or only broken lines): a
 * file of only metadata lines (a title, a mode) is a session without a prompt (hasUserMessage
 * false), which the list hides unless `includeEmpty`. A name (`ai-title`, `custom-title`)
 * written after the model is sought on within bounds (`seekName`) unless `seekNames` is false
 * (the walker wants only the first timestamp).
 */
export async function scanClaudeHead(
  source: ByteSource,
  file: ClaudeFile,
  stat: Stats,
  headCount: number,
  env: ReadEnv,
  log: RolloutLogger,
  allowance: Allowance = { left: env.limits.inlineBytesPerRead },
  seekNames = true,
): Promise<ClaudeSessionHead | null> {
  const { limits } = env;
  const head: RecordText[] = [];
  const scanner = new ClaudeSessionScanner();
  let records = 0;
  let started = false;
  let boundPassed = false;
  // Where the lines read so far end: a name is sought on from there.
  let consumed = { offset: 0, lineNo: 1 };
  // The model is on the first assistant line, a few lines after the prompt: read on to it (within the bound).
  const complete = () => ((scanner.titleDone && scanner.modelKnown) || boundPassed) && head.length >= headCount && started;
  for await (const raw of splitRawLines(chunksOf(source, stat.size), limits.maxLineBytes, { holdBytes: limits.holdLineBytes })) {
    if (raw.offset >= limits.titleScanBytes || raw.lineNo > limits.titleScanLines) boundPassed = true;
    if (complete() || (boundPassed && head.length >= headCount)) break;
    consumed = { offset: raw.end, lineNo: raw.lineNo + 1 };
    const needed = !(scanner.titleDone && scanner.modelKnown) && !boundPassed;
    let record: JsonRecord | null;
    let text: RecordText | undefined;
    if (raw.bytes !== null) {
      const decoded = raw.bytes.toString('utf8');
      const parsed = readRecord({ lineNo: raw.lineNo, offset: raw.offset, text: decoded, terminated: raw.terminated }, limits.maxLineBytes);
      if (parsed === null) {
        consumed = { offset: raw.offset, lineNo: raw.lineNo };
        break; // a last line still being written
      }
      if (!parsed.ok) {
        log.debug({ path: file.relPath, line: raw.lineNo, reason: parsed.reason }, 'skipping invalid line');
        continue;
      }
      record = parsed.record;
      if (head.length < headCount) text = keepHeld(raw, decoded, allowance);
    } else {
      const verdict = readUnheld(raw, limits.maxLineBytes);
      if (verdict === null) {
        consumed = { offset: raw.offset, lineNo: raw.lineNo };
        break;
      }
      if (!verdict.ok) {
        log.debug({ path: file.relPath, line: raw.lineNo, reason: verdict.reason }, 'skipping invalid line');
        continue;
      }
      text = verdict.ref;
      // A long line is parsed only while the title or model is sought, first with its long strings
      // cut (a 15 MiB answer's text is not needed for its model); whole only when it is a user's
      // line and may be the title (a pasted prompt can be megabytes).
      record = needed ? await parseUnheld(source, verdict.ref, { ...env, cutLongStrings: true }) : null;
      if (record !== null && record.type === 'user' && !scanner.titleDone) record = await parseUnheld(source, verdict.ref, env);
      if (record === null && needed) break; // the file shrank under us
    }
    records += 1;
    if (text !== undefined && head.length < headCount) head.push(text);
    if (record === null) continue;
    if (!boundPassed) scanner.feed(record);
    started ||= typeof record.timestamp === 'string';
    if (complete()) break; // not at the next line: it may be a 15 MiB tool output
  }
  if (records === 0) {
    log.debug({ path: file.relPath }, 'not a transcript: no record');
    return null;
  }
  if (seekNames) await seekName(source, stat.size, consumed, scanner, env);
  const { summary, facts } = scanner.summary(file, stat);
  return { summary, facts, hasUserMessage: summary.title !== null, head };
}

/** Bytes at the end of a file searched for a name: a rename, or a title written again as the session ends. */
export const NAME_TAIL_BYTES = 64 * 1024;

// A title record holds one of these (as its type); a line without any is not parsed.
const NAME_MARKERS = ['"ai-title"', '"custom-title"', '"summary"'].map((m) => Buffer.from(m));

/**
 * Reads on from the head for the session's name, with bounded work: the lines after the head up
 * to the title bound (Claude Code writes `ai-title` after the first answer, past where the head
 * read stops), then the file's last NAME_TAIL_BYTES (a rename is appended at any time). Only
 * complete lines of at most the hold bound that name a title record's type are parsed. A name
 * written between the two windows is not seen, as a prompt past the bound is not a title.
 */
async function seekName(
  source: ByteSource,
  size: number,
  from: { offset: number; lineNo: number },
  scanner: ClaudeSessionScanner,
  env: ReadEnv,
): Promise<void> {
  const { maxLineBytes, holdLineBytes, titleScanBytes, titleScanLines } = env.limits;
  const window = { source, maxLine: titleScanLines, holdBytes: Math.min(holdLineBytes, maxLineBytes), maxLineBytes };
  const feed = (record: JsonRecord) => scanner.feedName(record);
  const headWindow = { start: from.offset, end: Math.min(size, Math.max(from.offset, titleScanBytes)), lineNo: from.lineNo };
  const headEnd = await nameLines({ ...window, ...headWindow, skipFirst: false }, feed);
  const tailStart = Math.max(headEnd, size - NAME_TAIL_BYTES);
  if (tailStart >= size) return;
  // The tail window's first line is whole only when the byte before it ends a line.
  const before = tailStart === headEnd ? null : await readExactly(source, tailStart - 1, 1);
  const skipFirst = before !== null && before[0] !== NEWLINE;
  await nameLines({ ...window, start: tailStart, end: size, lineNo: 1, maxLine: Number.POSITIVE_INFINITY, skipFirst }, feed);
}

const NEWLINE = 0x0a;

interface NameWindow {
  source: ByteSource;
  start: number;
  end: number;
  /** The number of the line at `start`; lines past `maxLine` are not read. */
  lineNo: number;
  maxLine: number;
  /** The window began inside a line: its first line is not whole. */
  skipFirst: boolean;
  holdBytes: number;
  maxLineBytes: number;
}

/**
 * The title records of a window's complete lines of at most `holdBytes`, each given to `feed`;
 * returns where the last complete line read ends. Lines are found in the chunks as read, without
 * a record or a JSON shape check per line (splitRawLines'): nearly every line is only searched
 * for the markers (an index build seeks names in every file it reads).
 */
async function nameLines(w: NameWindow, feed: (record: JsonRecord) => void): Promise<number> {
  let { lineNo, skipFirst: first } = w;
  let last = w.start;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let offset = w.start;
  for await (const chunk of chunksOf(w.source, w.end, w.start)) {
    let pos = 0;
    for (let nl = chunk.indexOf(NEWLINE, pos); nl !== -1; nl = chunk.indexOf(NEWLINE, pos)) {
      if (lineNo > w.maxLine) return last;
      const length = heldBytes + nl - pos;
      last = offset + nl + 1;
      if (first) first = false; // the window began inside this line
      else if (length <= w.holdBytes) {
        const bytes = held.length === 0 ? chunk.subarray(pos, nl) : Buffer.concat([...held, chunk.subarray(pos, nl)], length);
        if (NAME_MARKERS.some((m) => bytes.includes(m))) {
          const parsed = readRecord({ lineNo, offset: last - length - 1, text: bytes.toString('utf8'), terminated: true }, w.maxLineBytes);
          if (parsed?.ok) feed(parsed.record);
        }
      }
      [held, heldBytes, lineNo, pos] = [[], 0, lineNo + 1, nl + 1];
    }
    const rest = chunk.length - pos;
    // The chunk's buffer is read into again: a line's start is copied (while it may still be held).
    if (rest > 0 && heldBytes + rest <= w.holdBytes) held.push(Buffer.from(chunk.subarray(pos)));
    else if (rest > 0) held = [];
    heldBytes += rest;
    offset += chunk.length;
  }
  return last; // a last line without its newline: still being written, or cut by the window
}

/**
 * Reads one Claude file for a listing, as readSessionFile does for a Codex file: its summary,
 * `head` first and `tail` last records, and the stat the read was based on. Null when the file
 * cannot be read (or is not a regular file inside the home); rejects only when the memory
 * budget has no room or the process is out of descriptors (Unavailable).
 */
export function readClaudeSessionFile(
  file: ClaudeFile,
  headCount: number,
  tailCount: number,
  env: ReadEnv,
  log: RolloutLogger,
  seekNames = true,
): Promise<ClaudeListingRead> {
  // readListing takes a RolloutFile; only its paths are used to open it.
  const rollout = claudeRolloutFile(file, new Date(0).toISOString());
  return readListing(rollout, tailCount, env, log, (source, stat, allowance) =>
    scanClaudeHead(source, file, stat, headCount, env, log, allowance, seekNames),
  );
}
