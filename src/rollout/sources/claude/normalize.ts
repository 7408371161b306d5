import { isObject, stringOrNull } from '../common/json.js';
import type { NormalizedRecord } from '../common/normalized-record.js';
import type { JsonRecord } from '../../types.js';
import { assistantMessage, blocksOf, isWrapperText, realModel, type ClaudeBlock } from './records.js';

/**
 * A Claude transcript line in the shapes the Codex reader works with (formats.ts): one
 * NormalizedRecord per content block, so that code written against Codex records (the
 * transcript's turns, tool calls paired with outputs, reasoning) can read Claude lines too.
 * The record itself is still served as written; this is a view.
 *
 * - a prompt's text → `response_item` `message` role user (`input_text`); a wrapper or meta
 *   text keeps role user but is marked `injected: true`, as Codex's injected context is;
 * - assistant text → `response_item` `message` role assistant (`output_text`);
 * - thinking → `response_item` `reasoning` with the thinking as its summary text;
 * - tool_use → `response_item` `function_call` (`name`, `arguments` as JSON text, `call_id`);
 * - tool_result → `response_item` `function_call_output` (`call_id`, `output`);
 * - `system` `compact_boundary` → `compacted`; the first line's ids → nothing here (the summary
 *   reads them: Claude has no meta line);
 * - anything else → `other` with the record as its payload (carried through, unknown types too).
 *
 * Every view carries `claude` with the line's own `type`, `uuid`, `isSidechain` and, for
 * assistant lines, `model`, `messageId` and `requestId`: one API response is split over
 * several lines that share those two ids.
 */
export function claudeViews(record: JsonRecord): NormalizedRecord[] {
  const type = typeof record.type === 'string' ? record.type : '';
  const claude = {
    type,
    uuid: stringOrNull(record.uuid),
    isSidechain: record.isSidechain === true,
    ...assistantIds(record),
  };
  if (type === 'user' || type === 'assistant') {
    const views = blocksOf(record).map((block) => blockView(block, type, record, claude));
    return views.length > 0 ? views : [{ kind: 'other', payload: record }];
  }
  if (type === 'system' && record.subtype === 'compact_boundary') {
    return [{ kind: 'compacted', payload: { type: 'compacted', message: '', claude, compactMetadata: record.compactMetadata } }];
  }
  return [{ kind: 'other', payload: record }];
}

function assistantIds(record: JsonRecord): Record<string, unknown> {
  const message = assistantMessage(record);
  if (message === null) return {};
  return { model: realModel(message.model), messageId: stringOrNull(message.id), requestId: stringOrNull(record.requestId) };
}

function blockView(block: ClaudeBlock, role: 'user' | 'assistant', record: JsonRecord, claude: JsonRecord): NormalizedRecord {
  const item = (payload: JsonRecord): NormalizedRecord => ({ kind: 'response_item', payload: { ...payload, claude } });
  switch (block.type) {
    case 'text': {
      const injected = role === 'user' && (record.isMeta === true || record.isCompactSummary === true || isWrapperText(block.text));
      const part = { type: role === 'user' ? 'input_text' : 'output_text', text: block.text };
      return item({ type: 'message', role, content: [part], ...(injected ? { injected: true } : {}) });
    }
    case 'image':
      return item({ type: 'message', role, content: [{ type: role === 'user' ? 'input_image' : 'output_image' }] });
    case 'thinking':
      return item({ type: 'reasoning', summary: [{ type: 'summary_text', text: block.text }] });
    case 'tool_use':
      return item({ type: 'function_call', name: block.name, call_id: block.id, arguments: argumentsText(block.input) });
    case 'tool_result':
      return item({ type: 'function_call_output', call_id: block.toolUseId, output: block.content, is_error: block.isError });
    case 'other':
      return item({ type: block.kind });
  }
}

/** A tool's input as Codex writes a call's arguments: JSON text. */
function argumentsText(input: unknown): string {
  if (typeof input === 'string') return input;
  try {
    return JSON.stringify(isObject(input) || Array.isArray(input) ? input : (input ?? {}));
  } catch {
    return '{}';
  }
}
