import { contentLines } from '../reading/content-lines.js';
import type { ByteSource, ReadEnv } from '../reading/session-reader.js';
import { codexItem, recordTime, type TranscriptItem } from './items.js';

/** Where a transcript read starts: a line's first byte, its 1-based number, and the turns before it. */
export interface TranscriptPosition {
  offset: number;
  lineNo: number;
  turn: number;
}

export const START: TranscriptPosition = { offset: 0, lineNo: 1, turn: 0 };

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
 * whatever the session's size. A half-written last line is not read.
 */
export async function* readTranscript(
  source: ByteSource,
  from: TranscriptPosition,
  size: number,
  env: ReadEnv,
): AsyncGenerator<PlacedItem> {
  let turn = from.turn;
  const calls = new Map<string, string>();
  for await (const { line, record } of contentLines(source, { offset: from.offset, lineNo: from.lineNo }, size, env)) {
    if (record === null || line.record === null) continue;
    const item = codexItem(record, recordTime(line.record));
    if (item === null) continue;
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
    yield { item, turn, startsTurn, line: line.lineNo, toolName, next: { offset: line.end, lineNo: line.lineNo + 1, turn } };
  }
}
