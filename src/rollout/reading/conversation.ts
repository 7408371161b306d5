import type { Stats } from 'node:fs';
import { RolloutError, scanFailed } from '../errors.js';
import { chunksOf } from './byte-source.js';
import { heldRecord, readRecord, readUnheld, recordChunks, splitRawLines, type RecordText } from './jsonl-lines.js';
import { openSession } from './open-session.js';
import { scanHead, type ReadEnv } from './session-reader.js';
import { buildSummary } from './summary.js';
import type { RolloutFile, RolloutLogger, SessionSummary } from '../types.js';

export type RecordEvent =
  | { kind: 'record'; text: RecordText }
  | { kind: 'invalid'; line: number; reason: string };

/** An opened session: a consistent snapshot (size at open time) of one rollout file. */
export interface OpenConversation {
  file: RolloutFile;
  stat: Stats;
  summary: SessionSummary;
  /**
   * Every line up to the snapshot size, as a record's text or an invalid-line report. A record
   * longer than the hold bound is not held: its text is a range of the file (see textOf).
   */
  records(): AsyncGenerator<RecordEvent>;
  /** A record's text in chunks, read from this open file when it was not held. */
  textOf(text: RecordText): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

/**
 * Opens a session for reading (a regular file inside the home only); a file without a readable
 * meta still gets a summary from its name. A file that is gone, or is not a regular file inside
 * the home, is NotFound.
 */
export async function openConversation(
  file: RolloutFile,
  name: string | null,
  env: ReadEnv,
  log: RolloutLogger,
): Promise<OpenConversation> {
  const opened = await openSession(file, env.realRoot);
  const { source, stat } = opened;
  const { maxLineBytes, holdLineBytes } = env.limits;
  try {
    const head = await scanHead(source, file, stat, 0, env, log);
    const summary = { ...(head?.summary ?? buildSummary(file, {}, null, stat)), name };
    return {
      file,
      stat,
      summary,
      async *records() {
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
