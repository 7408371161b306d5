import { normalizeRecord, type NormalizedRecord } from './formats.js';
import {
  openIn,
  terminatedLines,
  type ByteSource,
  type LinePosition,
  type ReadEnv,
  type TerminatedLine,
} from '../../reading/session-reader.js';
import type { RolloutFile } from '../../types.js';

/** A complete line and its record in the normalised form (null when the line is not a JSON object). */
export interface ContentLine {
  line: TerminatedLine;
  record: NormalizedRecord | null;
}

/**
 * What the content readers (search, usage) read of a file, from `from` to `size`: its
 * newline-terminated lines, each record normalised once. The index and the scans read through
 * here, so that they see the same lines (a last line still being written is not one of them).
 */
export async function* contentLines(handle: ByteSource, from: LinePosition, size: number, env: ReadEnv): AsyncGenerator<ContentLine> {
  for await (const line of terminatedLines(handle, from, size, env)) {
    yield { line, record: line.record === null ? null : normalizeRecord(line.record) };
  }
}

/** contentLines of a whole file, opened and closed here. */
export async function* fileContentLines(file: RolloutFile, env: ReadEnv): AsyncGenerator<ContentLine> {
  const opened = await openIn(file, env);
  try {
    yield* contentLines(opened.source, { offset: 0, lineNo: 1 }, opened.stat.size, env);
  } finally {
    await opened.close();
  }
}
