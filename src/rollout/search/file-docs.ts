import { fileContentLines, type ContentLine } from '../reading/content-lines.js';
import type { ReadEnv } from '../reading/session-reader.js';
import type { RolloutFile } from '../types.js';
import { initialExtractState, searchDocOf, type ExtractState } from './extract.js';
import type { LocatedDoc } from './session-matcher.js';
import type { SearchWork } from './search-work.js';

/** The searchable record of a line, at its place in the file, or null. The one extraction the index and the scan share. */
export function lineDoc({ line, record }: ContentLine, state: ExtractState): LocatedDoc | null {
  const found = record === null ? null : searchDocOf(record, state);
  if (found === null) return null;
  const timestamp = typeof line.record?.timestamp === 'string' ? line.record.timestamp : null;
  return { ...found, line: line.lineNo, timestamp };
}

/** Every searchable record of a file, read from the disk (no index), in file order; each line read is charged to `work`. */
export async function* fileDocs(file: RolloutFile, env: ReadEnv, work?: SearchWork): AsyncGenerator<LocatedDoc> {
  const state = initialExtractState();
  for await (const content of fileContentLines(file, env)) {
    work?.charge(content.line.end - content.line.offset);
    const doc = lineDoc(content, state);
    if (doc !== null) yield doc;
  }
}
