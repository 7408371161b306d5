import { RolloutError, RolloutErrorKind, scanFailed } from '../../errors.js';
import { isMissingOrUnsafe } from '../../files/fs-safety.js';
import { chunksOf } from '../../reading/byte-source.js';
import type { OpenConversation, RecordEvent } from '../codex/conversation.js';
import { heldRecord, readRecord, readUnheld, recordChunks, splitRawLines } from '../../reading/jsonl-lines.js';
import { openRollout, terminatedLines, type OpenRollout, type ReadEnv } from '../../reading/session-reader.js';
import type { RolloutLogger } from '../../types.js';
import type { ClaudeFile } from './discovery.js';
import { scanClaudeHead } from './reader.js';
import { ClaudeSessionScanner, claudeRolloutFile, type ClaudeSessionFacts } from './session-head.js';
import { claudeSearchDocs } from './search-extract.js';
import { ClaudeUsageCounter, type ClaudeResponse, type ClaudeCounterState } from './usage-counter.js';
import type { LocatedDoc } from '../codex/search-extract.js';

/** The file as the Codex reading code takes it (only its paths are used to open it). */
const asRolloutFile = (file: ClaudeFile) => claudeRolloutFile(file, new Date(0).toISOString());

/**
 * Opens a Claude session for reading, exactly as openConversation does a Codex one (the same
 * OpenConversation, so the routes serve it unchanged: JSON records, NDJSON bytes, Range, ETag):
 * a consistent snapshot of the file at its size when opened. A file that is gone, or is not a
 * regular file inside the home, is NotFound.
 */
export async function openClaudeConversation(
  file: ClaudeFile,
  env: ReadEnv,
  log: RolloutLogger,
): Promise<OpenConversation & { facts: ClaudeSessionFacts }> {
  const rollout = asRolloutFile(file);
  let opened: OpenRollout;
  try {
    opened = await openRollout(rollout, env.realRoot);
  } catch (err) {
    if (isMissingOrUnsafe(err)) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
    throw scanFailed(`cannot open ${file.relPath}`, err);
  }
  const { source, stat } = opened;
  const { maxLineBytes, holdLineBytes } = env.limits;
  try {
    const head = await scanClaudeHead(source, file, stat, 0, env, log);
    const fallback = new ClaudeSessionScanner().summary(file, stat);
    const { summary, facts } = head ?? fallback;
    return {
      file: claudeRolloutFile(file, summary.createdAt),
      stat,
      summary,
      facts,
      async *records(): AsyncGenerator<RecordEvent> {
        for await (const raw of splitRawLines(chunksOf(source, stat.size), maxLineBytes, { holdBytes: holdLineBytes })) {
          if (raw.bytes === null) {
            const verdict = readUnheld(raw, maxLineBytes);
            if (verdict === null) continue;
            if (verdict.ok) yield { kind: 'record', text: verdict.ref };
            else yield { kind: 'invalid', line: raw.lineNo, reason: verdict.reason };
            continue;
          }
          const text = raw.bytes.toString('utf8');
          const parsed = readRecord({ lineNo: raw.lineNo, offset: raw.offset, text, terminated: raw.terminated }, maxLineBytes);
          if (parsed === null) continue;
          if (parsed.ok) yield { kind: 'record', text: heldRecord(raw.offset, raw.bytes, text, true) };
          else yield { kind: 'invalid', line: raw.lineNo, reason: parsed.reason };
        }
      },
      textOf: (text) => recordChunks(source, text),
      close: () => opened.close(),
    };
  } catch (err) {
    await opened.close();
    throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
  }
}

/** What one pass over a whole Claude file gives the index: every searchable doc, every response, and the summary facts. */
export interface ClaudeFileContent {
  docs: LocatedDoc[];
  responses: ClaudeResponse[];
  /** The counter's state at the end: counting resumes from it after an append. */
  counter: ClaudeCounterState;
  /** The scanner, fed with every record: its summary has the name written anywhere in the file. */
  scanner: ClaudeSessionScanner;
  /** Just past the last complete line: where a read after an append starts. */
  end: number;
}

/**
 * Reads a whole Claude file once, through the same line reader as the Codex index and scans
 * (complete lines only: a line still being written is read after it is finished; long lines
 * parsed with bytes from the memory budget). Names, usage and search come from this one pass.
 * Docs are held in memory: the index writes them per batch of lines in its own pass; this is
 * the scan-mode and test form.
 */
export async function readClaudeContent(file: ClaudeFile, env: ReadEnv): Promise<ClaudeFileContent> {
  const opened = await openRollout(asRolloutFile(file), env.realRoot);
  try {
    const scanner = new ClaudeSessionScanner();
    const counter = new ClaudeUsageCounter();
    const docs: LocatedDoc[] = [];
    const responses: ClaudeResponse[] = [];
    let end = 0;
    for await (const line of terminatedLines(opened.source, { offset: 0, lineNo: 1 }, opened.stat.size, env)) {
      end = line.end;
      const record = line.record;
      if (record === null) continue;
      scanner.feed(record);
      const response = counter.feed(record, line.lineNo);
      if (response !== null) responses.push(response);
      const timestamp = typeof record.timestamp === 'string' ? record.timestamp : null;
      for (const doc of claudeSearchDocs(record)) docs.push({ ...doc, line: line.lineNo, timestamp });
    }
    return { docs, responses, counter: counter.state, scanner, end };
  } finally {
    await opened.close();
  }
}
