import { fileContentLines, type ContentLine } from '../sources/codex/content-lines.js';
import type { ReadEnv } from '../reading/session-reader.js';
import type { RolloutFile } from '../types.js';
import type { ExtractState } from '../sources/codex/search-extract.js';
import { claude, codex, type AgentName } from '../sources/registry.js';
import type { TerminatedLine } from '../reading/session-reader.js';
import type { LocatedDoc } from './session-matcher.js';
import type { SearchWork } from './search-work.js';

/** The searchable record of a line, at its place in the file, or null. The one extraction the index and the scan share. */
export function lineDoc({ line, record }: ContentLine, state: ExtractState): LocatedDoc | null {
  const found = record === null ? null : codex.search.docOf(record, state);
  if (found === null) return null;
  const timestamp = typeof line.record?.timestamp === 'string' ? line.record.timestamp : null;
  return { ...found, line: line.lineNo, timestamp };
}

/**
 * The searchable records of a Claude Code line (docs/claude.md, "Search"): the line as written
 * (not the Codex view of it), at most one per role, all with the line's number. No state.
 */
export function claudeLineDocs(line: TerminatedLine): LocatedDoc[] {
  const docs = line.record === null ? null : claude.search.docOf(line.record, null);
  if (docs === null) return [];
  const timestamp = typeof line.record?.timestamp === 'string' ? line.record.timestamp : null;
  return docs.map((doc) => ({ ...doc, line: line.lineNo, timestamp }));
}

/**
 * Every searchable record of a file of `agent`, read from the disk (no index), in file order;
 * each line read is charged to `work`.
 */
export async function* fileDocs(
  file: RolloutFile,
  env: ReadEnv,
  work?: SearchWork,
  agent: AgentName = 'codex',
): AsyncGenerator<LocatedDoc> {
  const state = codex.search.initial();
  for await (const content of fileContentLines(file, env)) {
    work?.charge(content.line.end - content.line.offset);
    if (agent === 'claude') {
      yield* claudeLineDocs(content.line);
      continue;
    }
    const doc = lineDoc(content, state);
    if (doc !== null) yield doc;
  }
}
