import type { Stats } from 'node:fs';
import { chunksOf, type ByteSource } from '../../reading/byte-source.js';
import { readRecord, readUnheld, splitRawLines, type RecordText } from '../../reading/jsonl-lines.js';
import { readListing } from '../../reading/listing-read.js';
import { keepHeld, parseUnheld } from '../../reading/session-reader.js';
import type { Allowance, ReadEnv } from '../../reading/session-reader.js';
import type { JsonRecord, RolloutFile, RolloutLogger } from '../../types.js';
import type { ListingRead, SessionHead } from '../source.js';
import { normalizeRecord } from './formats.js';
import { buildSummary, metaFields } from './summary.js';
import { TitleFinder } from './title.js';

/**
 * Reads a file from the start until it knows the session's meta, title and `headCount` first
 * records. Returns null when the file is not a session: its first record is not a session meta.
 * The head records are their own JSON text (see RecordText), never re-serialised.
 */
export async function scanHead(
  source: ByteSource,
  file: RolloutFile,
  stat: Pick<Stats, 'size' | 'mtimeMs'>,
  headCount: number,
  env: ReadEnv,
  log: RolloutLogger,
  allowance: Allowance = { left: env.limits.inlineBytesPerRead },
): Promise<SessionHead | null> {
  const { limits } = env;
  const head: RecordText[] = [];
  const titles = new TitleFinder();
  let meta: JsonRecord | null = null;
  const complete = () => titles.done && head.length >= headCount && meta !== null;
  for await (const raw of splitRawLines(chunksOf(source, stat.size), limits.maxLineBytes, { holdBytes: limits.holdLineBytes })) {
    const titleBoundPassed = raw.offset >= limits.titleScanBytes || raw.lineNo > limits.titleScanLines;
    if (titleBoundPassed) titles.done = true;
    if (complete()) break;
    const needed = meta === null || !titles.done;
    let record: JsonRecord | null;
    let text: RecordText | undefined;
    if (raw.bytes !== null) {
      const decoded = raw.bytes.toString('utf8');
      const parsed = readRecord({ lineNo: raw.lineNo, offset: raw.offset, text: decoded, terminated: raw.terminated }, limits.maxLineBytes);
      if (parsed === null) break;
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
      record = needed ? await parseUnheld(source, verdict.ref, env) : null;
      if (record === null && needed) break; // the file shrank under us
    }
    if (text !== undefined && head.length < headCount) head.push(text);
    if (record === null) continue;
    const normalized = normalizeRecord(record);
    if (meta === null) {
      if (normalized.kind !== 'session_meta') {
        log.debug({ path: file.relPath, line: raw.lineNo }, 'not a session: first record is not a session meta');
        return null;
      }
      meta = metaFields(normalized.payload); // only what the summary needs: a meta can carry megabytes of instructions
      continue;
    }
    titles.feed(normalized);
    // Stop here, not at the next line: the splitter would read that line to its end first, and
    // it may be a 15 MiB tool output, or 20 GB of a sparse file without a newline.
    if (complete()) break;
  }
  if (meta === null) {
    log.debug({ path: file.relPath }, 'not a session: no session meta');
    return null;
  }
  const title = titles.title;
  return { summary: buildSummary(file, meta, title, stat), hasUserMessage: title !== null, head };
}

/**
 * Reads one file for a listing: its summary, `head` first and `tail` last records (as their
 * JSON text), and the stat the read was based on. Null when the file cannot be read (or is not
 * a regular file inside the home); `read` null when it is not a session (skipped files are
 * logged at debug with their path). Rejects only when the memory budget has no room (Unavailable).
 */
export function readSessionFile(
  file: RolloutFile,
  headCount: number,
  tailCount: number,
  env: ReadEnv,
  log: RolloutLogger,
): Promise<ListingRead> {
  return readListing(file, tailCount, env, log, (source, stat, allowance) => scanHead(source, file, stat, headCount, env, log, allowance));
}

