import { isObject, stringOrNull } from '../sources/common/json.js';
import { blocksOf, isPrompt, promptText, type ClaudeBlock } from '../sources/claude/records.js';
import type { JsonRecord } from '../types.js';
import type { TranscriptItem } from './items.js';

const pretty = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value, null, 2);

type ToolCallItem = Extract<TranscriptItem, { kind: 'tool_call' }>;

/** A tool_use block as a call: Bash's command as a command, an Edit as a patch-like diff, any other input as JSON. */
function toolCall(block: Extract<ClaudeBlock, { type: 'tool_use' }>, at: string | null): ToolCallItem {
  const name = block.name ?? 'tool';
  const call: ToolCallItem = { kind: 'tool_call', callId: block.id, name, command: null, patch: null, input: null, at };
  const input = isObject(block.input) ? block.input : null;
  if (input !== null && typeof input.command === 'string') call.command = input.command;
  else if (input !== null && name === 'Edit' && typeof input.old_string === 'string' && typeof input.new_string === 'string') {
    const lines = (text: string, mark: string) => text.split('\n').map((l) => `${mark}${l}`);
    const file = stringOrNull(input.file_path) ?? 'file';
    call.patch = [`--- ${file}`, `+++ ${file}`, ...lines(input.old_string, '-'), ...lines(input.new_string, '+')].join('\n');
  } else call.input = pretty(block.input);
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

/**
 * The transcript items of one Claude Code line (docs/claude.md): a typed prompt is a user
 * message (wrappers, meta records and compaction summaries are context, left out as Codex's
 * injected context is); an assistant line gives one item per block (thinking as reasoning,
 * text, tool_use as a call); a tool_result is the call's output; an API error and a
 * compaction are notices. Claude Code 2.1 writes one block per line, so a line gives one item
 * but for older files, whose lines may hold several.
 */
export function claudeItems(record: JsonRecord, at: string | null): TranscriptItem[] {
  switch (record.type) {
    case 'user':
      return userItems(record, at);
    case 'assistant': {
      if (record.isApiErrorMessage === true) return [{ kind: 'notice', text: assistantText(record) || 'API error.', at }];
      return blocksOf(record).flatMap((block): TranscriptItem[] => {
        switch (block.type) {
          case 'text':
            return block.text.trim() === '' ? [] : [{ kind: 'message', role: 'assistant', text: block.text, images: 0, at }];
          case 'thinking':
            return block.text.trim() === '' ? [] : [{ kind: 'reasoning', text: block.text, at }];
          case 'tool_use':
            return [toolCall(block, at)];
          default:
            return [];
        }
      });
    }
    case 'system':
      return record.subtype === 'compact_boundary' ? [{ kind: 'notice', text: 'The conversation was compacted here.', at }] : [];
    default:
      return [];
  }
}

function userItems(record: JsonRecord, at: string | null): TranscriptItem[] {
  const blocks = blocksOf(record);
  const results = blocks.flatMap((b): TranscriptItem[] =>
    b.type === 'tool_result' ? [{ kind: 'tool_output', callId: b.toolUseId, text: toolResultText(b.content), exitCode: null, at }] : [],
  );
  if (results.length > 0) return results;
  if (!isPrompt(record)) return [];
  return [{ kind: 'message', role: 'user', text: promptText(record), images: blocks.filter((b) => b.type === 'image').length, at }];
}
