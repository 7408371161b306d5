import { scanFailed } from '../errors.js';
import type { RecordOrigin, RecordText } from '../types.js';
import { recordChunks } from './jsonl-lines.js';
import type { OpenRollout } from './session-reader.js';

/** Reads the records of a page item that were left in its file. */
export interface RecordReader {
  textOf(text: RecordText): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

/**
 * A reader of the records a page item left in its file, on `opened`, which must be the file the
 * listing read (same device and inode, at least as long: rollouts only grow). Throws (and closes
 * it) when it is not: the body cannot be finished, and the caller ends the response.
 */
export async function recordReader(opened: OpenRollout, origin: RecordOrigin): Promise<RecordReader> {
  const { stat } = opened;
  if (stat.dev !== origin.dev || stat.ino !== origin.ino || stat.size < origin.size) {
    await opened.close();
    throw scanFailed(`${origin.file.relPath} changed while its page was sent`, null);
  }
  return { textOf: (text) => recordChunks(opened.source, text), close: () => opened.close() };
}
