import { contentLines } from '../sources/codex/content-lines.js';
import { agentOfRecord, type Agent } from '../sources/line-agent.js';
import type { ByteSource, ReadEnv } from '../reading/session-reader.js';
import { claudeItems } from './claude-items.js';
import { codexItem, recordTime, type TranscriptItem } from './items.js';

/**
 * Where a transcript read starts: a line's first byte, its 1-based number, the turns before it,
 * and how many items of that line were already read (older Claude lines hold several blocks, so a
 * read can stop inside a line; 0 for every Codex position).
 */
export interface TranscriptPosition {
  offset: number;
  lineNo: number;
  turn: number;
  skip: number;
}

export const START: TranscriptPosition = { offset: 0, lineNo: 1, turn: 0, skip: 0 };

/** One item with its place: the turn it belongs to (a user message starts the next), its line, and where the next record starts. */
export interface PlacedItem {
  item: TranscriptItem;
  turn: number;
  /** True for the item that starts its turn (a user message). */
  startsTurn: boolean;
  line: number;
  /** For a tool output: the name of its call, when the call was read in this pass. */
  toolName: string | null;
  /** The position just past this item's record: a cursor that resumes after it. */
  next: TranscriptPosition;
}

/** Call ids remembered to name their outputs: a tool output far from its call is named "tool". */
const MAX_REMEMBERED_CALLS = 1024;

/**
 * The transcript of a rollout from `from` up to byte `size`, one item at a time: the file is read
 * in chunks through the content readers (contentLines), so memory holds one record at a time
 * whatever the session's size. A half-written last line is not read. The file's first line that
 * says which agent wrote it (agentOfRecord) decides how every line is read: Codex records through
 * codexItem, Claude Code lines through claudeItems.
 */
export async function* readTranscript(
  source: ByteSource,
  from: TranscriptPosition,
  size: number,
  env: ReadEnv,
): AsyncGenerator<PlacedItem> {
  let turn = from.turn;
  let agent: Agent | null = null;
  const calls = new Map<string, string>();
  for await (const { line, record } of contentLines(source, { offset: from.offset, lineNo: from.lineNo }, size, env)) {
    if (record === null || line.record === null) continue;
    agent ??= agentOfRecord(line.record);
    const at = recordTime(line.record);
    const items = agent === 'claude' ? claudeItems(line.record, at) : [codexItem(record, at)];
    const skip = line.offset === from.offset ? from.skip : 0;
    for (const [i, item] of items.entries()) {
      if (item === null || i < skip) continue;
      const startsTurn = item.kind === 'message' && item.role === 'user';
      if (startsTurn) turn += 1;
      let toolName: string | null = null;
      if (item.kind === 'tool_call' && item.callId !== null) {
        if (calls.size >= MAX_REMEMBERED_CALLS) calls.delete(calls.keys().next().value as string);
        calls.set(item.callId, item.name);
      } else if (item.kind === 'tool_output' && item.callId !== null) {
        toolName = calls.get(item.callId) ?? null;
        calls.delete(item.callId);
      }
      const next =
        i === items.length - 1
          ? { offset: line.end, lineNo: line.lineNo + 1, turn, skip: 0 }
          : { offset: line.offset, lineNo: line.lineNo, turn, skip: i + 1 };
      yield { item, turn, startsTurn, line: line.lineNo, toolName, next };
    }
  }
}
