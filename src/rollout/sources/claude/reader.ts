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
      // A long line is parsed only while the title is sought (a pasted prompt can be megabytes).
      record = needed ? await parseUnheld(source, verdict.ref, env) : null;
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
  const { maxLineBytes, holdLineBytes: holdBytes } = env.limits;
  const scan = async (start: number, end: number, lineNo: number, maxLine: number, skipFirst: boolean) => {
    let last = start;
    let first = skipFirst;
    for await (const raw of splitRawLines(chunksOf(source, end, start), maxLineBytes, { offset: start, lineNo, holdBytes })) {
      if (!raw.terminated || raw.lineNo > maxLine) break; // cut by the window's end, still being written, or past the bound
      last = raw.end;
      if (first) {
        first = false; // the window began inside this line
        continue;
      }
      if (raw.bytes === null || !NAME_MARKERS.some((m) => raw.bytes!.includes(m))) continue;
      const line = { lineNo: raw.lineNo, offset: raw.offset, text: raw.bytes.toString('utf8'), terminated: true };
      const parsed = readRecord(line, maxLineBytes);
      if (parsed?.ok) scanner.feedName(parsed.record);
    }
    return last;
  };
  const { titleScanBytes, titleScanLines } = env.limits;
  const headEnd = await scan(from.offset, Math.min(size, Math.max(from.offset, titleScanBytes)), from.lineNo, titleScanLines, false);
  const tailStart = Math.max(headEnd, size - NAME_TAIL_BYTES);
  if (tailStart >= size) return;
  // The tail window's first line is whole only when the byte before it ends a line.
  const before = tailStart === headEnd ? null : await readExactly(source, tailStart - 1, 1);
  await scan(tailStart, size, 1, Number.POSITIVE_INFINITY, before !== null && before[0] !== 0x0a);
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
