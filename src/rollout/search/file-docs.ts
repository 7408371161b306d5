import { normalizeRecord } from '../reading/formats.js';
import {
  openRollout,
  terminatedLines,
  type ByteSource,
  type LinePosition,
  type ReadLimits,
  type TerminatedLine,
} from '../reading/session-reader.js';
import type { RolloutFile } from '../types.js';
import { searchDocOf, type ExtractState } from './extract.js';
import type { LocatedDoc } from './session-matcher.js';

/**
 * The searchable records among a file's complete lines from `from` to `size`: each line with its
 * document, or null when it has none. The one extraction the index and the scan both use.
 */
export async function* lineDocs(
  handle: ByteSource,
  from: LinePosition,
  size: number,
  state: ExtractState,
  limits: ReadLimits,
): AsyncGenerator<{ line: TerminatedLine; doc: LocatedDoc | null }> {
  for await (const line of terminatedLines(handle, from, size, limits.maxLineBytes)) {
    const found = line.record === null ? null : searchDocOf(normalizeRecord(line.record), state);
    const timestamp = typeof line.record?.timestamp === 'string' ? line.record.timestamp : null;
    yield { line, doc: found === null ? null : { ...found, line: line.lineNo, timestamp } };
  }
}

/** Every searchable record of a file, read from the disk (no index), in file order. */
export async function* fileDocs(file: RolloutFile, limits: ReadLimits): AsyncGenerator<LocatedDoc> {
  const { handle, stat } = await openRollout(file);
  try {
    for await (const { doc } of lineDocs(handle, { offset: 0, lineNo: 1 }, stat.size, { unpaired: {} }, limits)) {
      if (doc !== null) yield doc;
    }
  } finally {
    await handle.close();
  }
}
