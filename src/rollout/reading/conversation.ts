import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { RolloutError, RolloutErrorKind, scanFailed } from '../errors.js';
import { isAbsentError } from '../files/fs-safety.js';
import { readRecord } from './jsonl-lines.js';
import { linesOf, openRollout, scanHead, type ReadLimits } from './session-reader.js';
import { buildSummary } from './summary.js';
import type { RolloutFile, RolloutLogger, SessionSummary } from '../types.js';

export type RecordEvent =
  | { kind: 'record'; text: string }
  | { kind: 'invalid'; line: number; reason: string };

/** An opened session: a consistent snapshot (size at open time) of one rollout file. */
export interface OpenConversation {
  file: RolloutFile;
  stat: Stats;
  summary: SessionSummary;
  /** Every line up to the snapshot size, as raw record text or an invalid-line report. */
  records(): AsyncGenerator<RecordEvent>;
  close(): Promise<void>;
}

/** Opens a session for reading; a file without a readable meta still gets a summary from its name. */
export async function openConversation(
  file: RolloutFile,
  name: string | null,
  limits: ReadLimits,
  log: RolloutLogger,
): Promise<OpenConversation> {
  let opened: { handle: FileHandle; stat: Stats };
  try {
    opened = await openRollout(file);
  } catch (err) {
    if (isAbsentError(err)) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
    throw scanFailed(`cannot open ${file.relPath}`, err);
  }
  const { handle, stat } = opened;
  try {
    const head = await scanHead(handle, file, stat, 0, limits, log);
    const summary = { ...(head?.summary ?? buildSummary(file, {}, null, stat)), name };
    return {
      file,
      stat,
      summary,
      async *records() {
        for await (const line of linesOf(handle, stat.size, limits.maxLineBytes)) {
          const parsed = readRecord(line, limits.maxLineBytes);
          if (parsed === null) continue;
          if (parsed.ok) yield { kind: 'record', text: (line.text as string).trim() };
          else yield { kind: 'invalid', line: line.lineNo, reason: parsed.reason };
        }
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
  }
}
