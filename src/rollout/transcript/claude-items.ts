// Imports nothing of Node (records.ts, json.ts and subagent-id.ts neither): the dashboard bundles
// this module, so that the export and the browser read a Claude line by the same rules.
import { isObject, stringOrNull, type JsonRecord } from '../sources/common/json.js';
import { blocksOf, isPrompt, isWrapperText, promptText, realModel, type ClaudeBlock } from '../sources/claude/records.js';
import { subagentSessionId } from '../sources/claude/subagent-id.js';
import { CLAUDE_STATE_TYPES } from '../sources/line-agent.js';
import type { TranscriptItem } from './items.js';

const pretty = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value, null, 2);

type ToolCallItem = Extract<TranscriptItem, { kind: 'tool_call' }>;
type ToolOutputItem = Extract<TranscriptItem, { kind: 'tool_output' }>;

/**
 * What a Claude line gives beyond the export's items: context (meta records, command echoes,
 * attachments, the compaction summary), folded by a reader, and a record or block of a type
 * this module does not know, named so that nothing is dropped silently.
 */
export type ClaudeItem =
  | TranscriptItem
  | { kind: 'context'; label: string; text: string; at: string | null }
  | { kind: 'unknown'; label: string; raw: string; at: string | null };

/** One Claude line as a transcript reads it: its items and what it says about its turn. */
export interface ClaudeLine {
  items: ClaudeItem[];
  /** A real prompt's turn id (`promptId`, else `uuid`): the id the usage counter gives its turn. */
  turnId: string | null;
  /** The model of an assistant line (never `<synthetic>`). */
  model: string | null;
  /** An assistant line with usage: the usage counter may count it. */
  usage: boolean;
  /** A `turn_duration` record's duration: the turn ended. */
  durationMs: number | null;
}

/** `system` subtypes that are bookkeeping. */
const STATE_SUBTYPES = new Set(['turn_duration', 'stop_hook_summary', 'away_summary']);
/** A record or block shown as unknown keeps this many characters of its JSON. */
const RAW_CHARS = 2000;

const rawOf = (value: unknown): string => {
  const json = JSON.stringify(value) ?? '';
  return json.length > RAW_CHARS ? `${json.slice(0, RAW_CHARS)}…` : json;
};

const FILE_TOOLS = new Set(['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
const AGENT_TOOLS = new Set(['Agent', 'Task']);

const diffLines = (text: string, mark: string) => text.split('\n').map((l) => `${mark}${l}`);

/**
 * A tool_use block as a call: Bash's command as a command; Read, Write and Edit name their file
 * (`target`), Write's content and Edit's strings as a diff; an Agent call's prompt as its input
 * and its description as its target; any other input as JSON.
 */
function toolCall(block: Extract<ClaudeBlock, { type: 'tool_use' }>, at: string | null): ToolCallItem {
  const name = block.name ?? 'tool';
  const call: ToolCallItem = { kind: 'tool_call', callId: block.id, name, command: null, patch: null, input: null, at };
  const input = isObject(block.input) ? block.input : null;
  const file = input === null ? null : stringOrNull(input.file_path) ?? stringOrNull(input.notebook_path);
  if (input !== null && typeof input.command === 'string') call.command = input.command;
  else if (input !== null && name === 'Edit' && typeof input.old_string === 'string' && typeof input.new_string === 'string') {
    const path = file ?? 'file';
    call.patch = [`--- ${path}`, `+++ ${path}`, ...diffLines(input.old_string, '-'), ...diffLines(input.new_string, '+')].join('\n');
  } else if (input !== null && name === 'Write' && typeof input.content === 'string') {
    call.patch = ['--- /dev/null', `+++ ${file ?? 'file'}`, ...diffLines(input.content.replace(/\n$/, ''), '+')].join('\n');
  } else if (input !== null && name === 'Read' && file !== null) {
    const from = typeof input.offset === 'number' ? input.offset : null;
    const count = typeof input.limit === 'number' ? input.limit : null;
    if (from !== null || count !== null) call.input = `lines ${from ?? 1}${count === null ? '' : ` to ${(from ?? 1) + count - 1}`}`;
  } else if (input !== null && AGENT_TOOLS.has(name) && typeof input.prompt === 'string') {
    call.input = input.prompt;
    const type = stringOrNull(input.subagent_type);
    call.target = [stringOrNull(input.description), type === null ? null : `(${type})`].filter((s) => s !== null).join(' ') || null;
  } else call.input = pretty(block.input);
  if (FILE_TOOLS.has(name) && file !== null) call.target = file;
  return call;
}

/** A tool_result's content as text: a string, or its text blocks (an image is `[image]`). */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return pretty(content) ?? '';
  const partText = (part: unknown): string => {
    if (typeof part === 'string') return part;
    if (!isObject(part)) return '';
    return stringOrNull(part.text) ?? (part.type === 'image' ? '[image]' : '');
  };
  return content.map(partText).join('\n');
}

/** The text of an assistant line's text blocks (an API error's message). */
function assistantText(record: JsonRecord): string {
  return blocksOf(record)
    .flatMap((b) => (b.type === 'text' ? [b.text] : []))
    .join('\n\n');
}

/** "system reminder", "command name": what a wrapper text is, from its first tag. */
function wrapperLabel(text: string): string {
  const tag = /^<([\w-]+)/.exec(text.trimStart());
  return tag ? (tag[1] as string).replaceAll(/[-_]/g, ' ') : 'local command';
}

function toolOutput(b: Extract<ClaudeBlock, { type: 'tool_result' }>, record: JsonRecord, at: string | null): ToolOutputItem {
  const item: ToolOutputItem = { kind: 'tool_output', callId: b.toolUseId, text: toolResultText(b.content), exitCode: null, at };
  if (b.isError) item.isError = true;
  const result = isObject(record.toolUseResult) ? record.toolUseResult : null;
  const agentId = result === null ? null : stringOrNull(result.agentId);
  const parent = stringOrNull(record.sessionId);
  if (agentId !== null && parent !== null && /^[\w-]{1,64}$/.test(agentId)) {
    item.subagent = { agentId, sessionId: subagentSessionId(parent, agentId) };
  }
  return item;
}

function userItems(record: JsonRecord, at: string | null): ClaudeItem[] {
  const blocks = blocksOf(record);
  const items: ClaudeItem[] = blocks.flatMap((b) => (b.type === 'tool_result' ? [toolOutput(b, record, at)] : []));
  if (items.length > 0) return items;
  if (isPrompt(record)) {
    const images = blocks.filter((b) => b.type === 'image').length;
    return [{ kind: 'message', role: 'user', text: promptText(record), images, at }];
  }
  const text = blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n\n');
  if (record.isCompactSummary === true) return [{ kind: 'context', label: 'compaction summary', text, at }];
  if (text.trim() === '') return [];
  const label = record.isMeta === true ? 'meta' : isWrapperText(text) ? wrapperLabel(text) : 'user record';
  return [{ kind: 'context', label, text, at }];
}

function assistantItems(record: JsonRecord, at: string | null): ClaudeItem[] {
  if (record.isApiErrorMessage === true) {
    return [{ kind: 'notice', text: assistantText(record) || 'API error.', at, level: 'error', title: 'API error' }];
  }
  return blocksOf(record).flatMap((block): ClaudeItem[] => {
    switch (block.type) {
      case 'text':
        return block.text.trim() === '' ? [] : [{ kind: 'message', role: 'assistant', text: block.text, images: 0, at }];
      case 'thinking':
        return block.text.trim() === '' ? [] : [{ kind: 'reasoning', text: block.text, at }];
      case 'tool_use':
        return [toolCall(block, at)];
      case 'tool_result':
        return [toolOutput(block, record, at)];
      case 'image':
        return [{ kind: 'message', role: 'assistant', text: '', images: 1, at }];
      case 'other':
        return [{ kind: 'unknown', label: `${block.kind} block`, raw: '', at }];
    }
  });
}

function compaction(record: JsonRecord, at: string | null): ClaudeItem {
  const meta = isObject(record.compactMetadata) ? record.compactMetadata : {};
  const trigger = stringOrNull(meta.trigger);
  const before = typeof meta.preTokens === 'number' ? `${meta.preTokens.toLocaleString('en-US')} tokens before` : null;
  const detail = [trigger, before].filter((s) => s !== null).join(', ');
  return { kind: 'notice', text: `The conversation was compacted here${detail === '' ? '' : ` (${detail})`}.`, at, level: 'info' };
}

/**
 * The items of one Claude Code line (docs/claude.md) and what it says of its turn: a typed prompt
 * is a user message; an assistant line gives one item per block (thinking as reasoning, text,
 * tool_use as a call); a tool_result is the call's output (an Agent call's names the sub-agent's
 * session); an API error and a compaction are notices; meta records, command echoes, attachments
 * and the compaction summary are context; state records (titles, modes, queue operations) give
 * nothing; a type not known here is `unknown`. Claude Code 2.1 writes one block per line, so a
 * line gives one item but for older files, whose lines may hold several.
 */
export function claudeLine(record: JsonRecord, at: string | null): ClaudeLine {
  const line: ClaudeLine = { items: [], turnId: null, model: null, usage: false, durationMs: null };
  const type = typeof record.type === 'string' ? record.type : '';
  switch (type) {
    case 'user':
      line.items = userItems(record, at);
      if (isPrompt(record)) line.turnId = stringOrNull(record.promptId) ?? stringOrNull(record.uuid);
      return line;
    case 'assistant': {
      line.items = assistantItems(record, at);
      const message = isObject(record.message) ? record.message : {};
      line.model = realModel(message.model);
      line.usage = record.isApiErrorMessage !== true && isObject(message.usage);
      return line;
    }
    case 'system':
      if (record.subtype === 'compact_boundary') line.items = [compaction(record, at)];
      else if (record.subtype === 'turn_duration') line.durationMs = typeof record.durationMs === 'number' ? record.durationMs : null;
      else if (!STATE_SUBTYPES.has(String(record.subtype))) {
        const text = stringOrNull(record.content);
        const level = record.level === 'error' ? 'error' : record.level === 'warning' ? 'warn' : 'info';
        line.items = [{ kind: 'notice', text: text ?? `System record: ${String(record.subtype)}.`, at, level }];
      }
      return line;
    case 'attachment': {
      const attachment = isObject(record.attachment) ? record.attachment : {};
      const label = `attachment: ${stringOrNull(attachment.type) ?? 'unknown'}`;
      line.items = [{ kind: 'context', label, text: JSON.stringify(attachment, null, 2), at }];
      return line;
    }
    default:
      if (!CLAUDE_STATE_TYPES.has(type)) line.items = [{ kind: 'unknown', label: `${type || 'untyped'} record`, raw: rawOf(record), at }];
      return line;
  }
}

/** The export's items of a Claude line: the conversation and its notices (context and unknown records are a reader's detail). */
export function claudeItems(record: JsonRecord, at: string | null): TranscriptItem[] {
  return claudeLine(record, at).items.filter((i): i is TranscriptItem => i.kind !== 'context' && i.kind !== 'unknown');
}
