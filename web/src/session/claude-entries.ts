// A Claude Code line → transcript entries. The line is read by the export's own rules
// (src/rollout/transcript/claude-items.ts, which the bundle includes): this module only places
// its items in the transcript's turns, pairs tool results with their calls, and folds what a
// reader does not need open (thinking, context, records of unknown types).
import { claudeLine, type ClaudeItem } from '../../../src/rollout/transcript/claude-items.js';
import type { Entry, NewEntry, SessionMeta, ToolEntry, TurnEntry } from './entry-types.js';
import { str, type Json } from './records.js';
import type { ToolCall, ToolOutput } from './tool-calls.js';

/** Where an entry comes from: its line's number and time. */
export interface LineAt {
  line: number;
  timestamp: string | null;
}

/** What of the TranscriptBuilder a Claude line needs. */
export interface ClaudeSink {
  meta: SessionMeta | null;
  version: number;
  readonly currentTurn: TurnEntry | null;
  push(fields: NewEntry, at: LineAt): Entry;
  update<E extends Entry>(entry: E, fields: Partial<E>): void;
  startTurn(turnId: string | null, at: LineAt): void;
  toolCall(callId: string | null, call: ToolCall, at: LineAt): void;
  toolResult(callId: string | null, output: ToolOutput, exitCode: number | null, seconds: number | null, at: LineAt): ToolEntry;
  markUsage(turnId: string | null): void;
  endOpenTools(): void;
}

/** The session's facts from the first line that carries a cwd (every conversation line repeats them). */
function metaOf(record: Json): SessionMeta {
  return {
    // A sub-agent's lines carry its parent's session id.
    id: record.isSidechain === true ? null : str(record.sessionId),
    timestamp: str(record.timestamp),
    cwd: str(record.cwd),
    cliVersion: str(record.version),
    originator: str(record.entrypoint),
    source: null,
    provider: 'anthropic',
    branch: str(record.gitBranch),
  };
}

function addItem(sink: ClaudeSink, item: ClaudeItem, turnId: string | null, at: LineAt): void {
  switch (item.kind) {
    case 'message':
      if (item.role === 'user') {
        const turn = sink.currentTurn;
        if (turn === null || turn.hasUser) sink.startTurn(turnId, at);
        sink.update(sink.currentTurn as TurnEntry, { hasUser: true });
      }
      sink.push({ kind: 'message', role: item.role, text: item.text, images: item.images, sources: 0 }, at);
      return;
    case 'reasoning':
      sink.push({ kind: 'reasoning', text: item.text, sources: 0, folded: true }, at);
      return;
    case 'tool_call': {
      const { name, command, patch, input } = item;
      sink.toolCall(item.callId, { name, command, patch, plan: null, input, target: item.target ?? null }, at);
      return;
    }
    case 'tool_output': {
      const entry = sink.toolResult(item.callId, { text: item.text, exitCode: null, seconds: null }, null, null, at);
      if (item.isError === true || item.subagent !== undefined) {
        sink.update(entry, { isError: item.isError === true, subagent: item.subagent ?? null });
      }
      return;
    }
    case 'notice':
      if (item.title !== undefined) sink.push({ kind: 'notice', level: item.level ?? 'info', title: item.title, text: item.text }, at);
      else sink.push({ kind: 'notice', level: item.level ?? 'info', title: item.text, text: null }, at);
      return;
    case 'context':
      sink.push({ kind: 'context', label: item.label, text: item.text }, at);
      return;
    case 'unknown':
      sink.push({ kind: 'context', label: item.label, text: item.raw, unknown: true }, at);
      return;
  }
}

/** Adds one Claude Code line (an object) to the transcript. */
export function addClaudeRecord(sink: ClaudeSink, record: Json, at: LineAt): void {
  if (sink.meta === null && typeof record.cwd === 'string') {
    sink.meta = metaOf(record);
    sink.version += 1;
  }
  const line = claudeLine(record, at.timestamp);
  for (const item of line.items) addItem(sink, item, line.turnId, at);
  const turn = sink.currentTurn;
  if (line.model !== null && turn !== null && turn.model === null) sink.update(turn, { model: line.model });
  if (line.usage) sink.markUsage(null);
  if (line.durationMs !== null) {
    if (turn !== null) sink.update(turn, { durationMs: line.durationMs });
    sink.endOpenTools();
  }
}
