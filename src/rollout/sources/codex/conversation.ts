import { RolloutError, scanFailed } from '../../errors.js';
import { recordChunks } from '../../reading/jsonl-lines.js';
import { openSession } from '../../reading/open-session.js';
import { recordEvents, type RecordEvent } from '../../reading/record-events.js';
import type { ReadEnv } from '../../reading/session-reader.js';
import { scanHead } from './session-file.js';
import { buildSummary } from './summary.js';
import type { RolloutFile, RolloutLogger } from '../../types.js';
import type { OpenConversation } from '../source.js';

export type { RecordEvent };
export type { OpenConversation } from '../source.js';

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
  const opened = await openSession(file, env);
  const { source, stat } = opened;
  try {
    const head = await scanHead(source, file, stat, 0, env, log);
    const summary = { ...(head?.summary ?? buildSummary(file, {}, null, stat)), name };
    return {
      file,
      stat,
      summary,
      records: () => recordEvents(source, stat.size, env.limits),
      textOf: (text) => recordChunks(source, text),
      close: () => opened.close(),
    };
  } catch (err) {
    await opened.close();
    throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
  }
}
