import type { Stats } from 'node:fs';
import { chunksOf, type ByteSource } from '../../reading/byte-source.js';
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
export function readClaudeSessionFile(
  file: ClaudeFile,
  headCount: number,
  tailCount: number,
  env: ReadEnv,
  log: RolloutLogger,
): Promise<ClaudeListingRead> {
  // readListing takes a RolloutFile; only its paths are used to open it.
  const rollout = claudeRolloutFile(file, new Date(0).toISOString());
  return readListing(rollout, tailCount, env, log, (source, stat, allowance) =>
    scanClaudeHead(source, file, stat, headCount, env, log, allowance),
  );
}
