import type { Stats } from 'node:fs';
import { rethrowIfNotTheFile, isExhausted, scanFailed } from '../../errors.js';
import { chunksOf, readExactly, type ByteSource } from '../../reading/byte-source.js';
import { heldRecord, readRecord, readUnheld, splitRawLines, type RawLine } from '../../reading/jsonl-lines.js';
import { openRollout, readTail, type Allowance, type ReadEnv } from '../../reading/session-reader.js';
import type { JsonRecord, RecordText, RolloutLogger, SessionSummary } from '../../types.js';
import type { ClaudeFile } from './discovery.js';
import { ClaudeSessionScanner, claudeRolloutFile, type ClaudeSessionFacts } from './session-head.js';

/** Memory a long line takes while it is parsed: its bytes, its text and the parsed value (as session-reader counts it). */
const PARSE_FACTOR = 4;

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

/** A long line's record, its bytes read again within the budget's line pool; null when the file changed under us. */
async function parseUnheld(source: ByteSource, range: RecordText, env: ReadEnv): Promise<JsonRecord | null> {
  const release = await env.budget.lines.acquire(PARSE_FACTOR * range.length, env.waitMs);
  try {
    const bytes = await readExactly(source, range.offset, range.length);
    return bytes === null ? null : (JSON.parse(bytes.toString('utf8')) as JsonRecord);
  } catch {
    return null;
  } finally {
    release();
  }
}

function keepHeld(raw: RawLine, text: string, allowance: Allowance): RecordText {
  const bytes = raw.bytes as Buffer;
  const keep = bytes.length <= allowance.left;
  if (keep) allowance.left -= bytes.length;
  return heldRecord(raw.offset, bytes, text, keep);
}

/**
 * Reads a Claude transcript from the start until it knows the session's start time, title,
 * model (the first assistant line's) and `headCount` first records, within the same bounds as a Codex head (`titleScanBytes`,
 * `titleScanLines`); records are their own JSON text, never re-serialised. Returns null when
 * the file holds no record at all within the bound (an empty file, or only broken lines): a
 * file of only metadata lines (a title, a mode) is a session without a prompt (hasUserMessage
 * false), which the list hides unless `includeEmpty`. A name (`ai-title`, `custom-title`)
 * written after the model is not seen here: the index reads it from the whole file.
 */
export async function scanClaudeHead(
  source: ByteSource,
  file: ClaudeFile,
  stat: Stats,
  headCount: number,
  env: ReadEnv,
  log: RolloutLogger,
  allowance: Allowance = { left: env.limits.inlineBytesPerRead },
): Promise<ClaudeSessionHead | null> {
  const { limits } = env;
  const head: RecordText[] = [];
  const scanner = new ClaudeSessionScanner();
  let records = 0;
  let started = false;
  let boundPassed = false;
  // The model is on the first assistant line, a few lines after the prompt: read on to it (within the bound).
  const complete = () => ((scanner.titleDone && scanner.modelKnown) || boundPassed) && head.length >= headCount && started;
  for await (const raw of splitRawLines(chunksOf(source, stat.size), limits.maxLineBytes, { holdBytes: limits.holdLineBytes })) {
    if (raw.offset >= limits.titleScanBytes || raw.lineNo > limits.titleScanLines) boundPassed = true;
    if (complete() || (boundPassed && head.length >= headCount)) break;
    const needed = !(scanner.titleDone && scanner.modelKnown) && !boundPassed;
    let record: JsonRecord | null;
    let text: RecordText | undefined;
    if (raw.bytes !== null) {
      const decoded = raw.bytes.toString('utf8');
      const parsed = readRecord({ lineNo: raw.lineNo, offset: raw.offset, text: decoded, terminated: raw.terminated }, limits.maxLineBytes);
      if (parsed === null) break; // a last line still being written
      if (!parsed.ok) {
        log.debug({ path: file.relPath, line: raw.lineNo, reason: parsed.reason }, 'skipping invalid line');
        continue;
      }
      record = parsed.record;
      if (head.length < headCount) text = keepHeld(raw, decoded, allowance);
    } else {
      const verdict = readUnheld(raw, limits.maxLineBytes);
      if (verdict === null) break;
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
  const { summary, facts } = scanner.summary(file, stat);
  return { summary, facts, hasUserMessage: summary.title !== null, head };
}

/**
 * Reads one Claude file for a listing, as readSessionFile does for a Codex file: its summary,
 * `head` first and `tail` last records, and the stat the read was based on. Null when the file
 * cannot be read (or is not a regular file inside the home); rejects only when the memory
 * budget has no room or the process is out of descriptors (Unavailable).
 */
export async function readClaudeSessionFile(
  file: ClaudeFile,
  headCount: number,
  tailCount: number,
  env: ReadEnv,
  log: RolloutLogger,
): Promise<ClaudeListingRead> {
  let opened;
  try {
    // openRollout takes a RolloutFile; only the path is used to open it.
    opened = await openRollout(claudeRolloutFile(file, new Date(0).toISOString()), env.realRoot);
  } catch (err) {
    if (isExhausted(err)) throw scanFailed(`cannot open ${file.relPath}`, err);
    log.debug({ path: file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
    return null;
  }
  const { source, stat } = opened;
  try {
    const allowance = { left: env.limits.inlineBytesPerRead };
    const head = await scanClaudeHead(source, file, stat, headCount, env, log, allowance);
    if (head === null) return { stat, read: null };
    const tail = tailCount > 0 ? await readTail(source, stat.size, tailCount, env.limits, allowance) : [];
    return { stat, read: { ...head, tail, stat } };
  } catch (err) {
    rethrowIfNotTheFile(err, `cannot read ${file.relPath}`);
    log.debug({ path: file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
    return null;
  } finally {
    await opened.close();
  }
}
