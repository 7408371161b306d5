import { RolloutError, scanFailed } from '../../errors.js';
import { openSession } from '../../reading/open-session.js';
import { recordEvents } from '../../reading/record-events.js';
import type { OpenConversation } from '../source.js';
import { recordChunks } from '../../reading/jsonl-lines.js';
import { openRollout, terminatedLines, type ReadEnv } from '../../reading/session-reader.js';
import type { RolloutLogger } from '../../types.js';
import type { ClaudeFile } from './discovery.js';
import { scanClaudeHead } from './reader.js';
import { ClaudeSessionScanner, claudeRolloutFile, type ClaudeSessionFacts } from './session-head.js';
import { claudeSearchDocs } from './search-extract.js';
import { ClaudeUsageCounter, type ClaudeResponse, type ClaudeCounterState } from './usage-counter.js';
import type { LocatedDoc } from '../common/search-doc.js';

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
  const opened = await openSession(rollout, env.realRoot);
  const { source, stat } = opened;
  try {
    const head = await scanClaudeHead(source, file, stat, 0, env, log);
    const fallback = new ClaudeSessionScanner().summary(file, stat);
    const { summary, facts } = head ?? fallback;
    return {
      file: claudeRolloutFile(file, summary.createdAt),
      stat,
      summary,
      facts,
      records: () => recordEvents(source, stat.size, env.limits),
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
