import { createHash } from 'node:crypto';
import { isObject, type NormalizedRecord } from './formats.js';
import { isInjectedContext, stripToUserRequest } from './title.js';
import { TOOL_TEXT_LIMIT, collapseWhitespace, type SearchDoc } from '../common/search-doc.js';

export { TOOL_TEXT_LIMIT, collapseWhitespace, type LocatedDoc, type SearchDoc, type SearchRole } from '../common/search-doc.js';

/** `text` cut to `limit` code units, never inside a surrogate pair. */
function bounded(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const code = text.charCodeAt(limit - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}

/** Every string inside a JSON value (tool arguments and outputs are often nested). */
function stringsOf(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') out.push(value);
  else if (depth < 16 && Array.isArray(value)) value.forEach((v) => stringsOf(v, out, depth + 1));
  else if (depth < 16 && isObject(value)) Object.values(value).forEach((v) => stringsOf(v, out, depth + 1));
  return out;
}

/** A tool call's arguments: a JSON string whose string values are the text (a command, a path, a patch). */
function argumentText(value: unknown): string {
  if (typeof value !== 'string') return stringsOf(value).join(' ');
  try {
    return stringsOf(JSON.parse(value)).join(' ');
  } catch {
    return value;
  }
}

function toolText(value: unknown): string {
  const text = Array.isArray(value) || isObject(value) ? stringsOf(value).join(' ') : String(value ?? '');
  return bounded(collapseWhitespace(text), TOOL_TEXT_LIMIT);
}

/** The typed part of a user-role message: its text parts that are not injected context. */
function userText(content: unknown): string {
  if (typeof content === 'string') return isInjectedContext(content) ? '' : stripToUserRequest(content);
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const part of content) {
    if (isObject(part) && typeof part.text === 'string' && !isInjectedContext(part.text)) parts.push(stripToUserRequest(part.text));
  }
  return parts.join(' ');
}

function assistantText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.flatMap((part) => (isObject(part) && typeof part.text === 'string' ? [part.text] : [])).join(' ');
}

const TOOL_CALL_FIELDS: Record<string, string> = {
  function_call: 'arguments',
  custom_tool_call: 'input',
  local_shell_call: 'action',
  web_search_call: 'action',
  tool_search_call: 'arguments',
};
const TOOL_OUTPUTS = new Set(['function_call_output', 'custom_tool_call_output', 'local_shell_call_output', 'tool_search_output']);

/** A message's text, and where it was written: Codex writes many messages both as an event and as a response item. */
type Message = { role: 'user' | 'assistant'; kind: string; text: string; via: 'event' | 'item' };

function messageOf(record: NormalizedRecord): Message | null {
  const p = record.payload;
  if (record.kind === 'event_msg') {
    if (p.type === 'user_message') {
      // Older events tag injected context with a kind other than "plain".
      if ((typeof p.kind === 'string' && p.kind !== 'plain') || typeof p.message !== 'string' || isInjectedContext(p.message)) return null;
      return { role: 'user', kind: 'user_message', text: stripToUserRequest(p.message), via: 'event' };
    }
    if (p.type === 'agent_message' && typeof p.message === 'string') {
      return { role: 'assistant', kind: 'agent_message', text: p.message, via: 'event' };
    }
    return null;
  }
  if (record.kind === 'response_item' && p.type === 'message') {
    if (p.role === 'user') return { role: 'user', kind: 'message', text: userText(p.content), via: 'item' };
    if (p.role === 'assistant') return { role: 'assistant', kind: 'message', text: assistantText(p.content), via: 'item' };
  }
  return null;
}

/**
 * What the extractor remembers between records of one file (JSON-serialisable, so indexing can
 * resume after an append): per role, the last message not yet paired with its twin.
 */
export interface ExtractState {
  unpaired: Partial<Record<'user' | 'assistant', { via: 'event' | 'item'; hash: string }>>;
}

export const initialExtractState = (): ExtractState => ({ unpaired: {} });

const hashOf = (text: string) => createHash('sha1').update(text).digest('base64').slice(0, 16);

/**
 * The searchable text of a record, or null when it has none. A message that Codex wrote twice,
 * as an event and as a response item (next to each other, in either order), counts once: the
 * first of the two is kept. Two equal messages written the same way are two messages.
 */
export function searchDocOf(record: NormalizedRecord, state: ExtractState): SearchDoc | null {
  const message = messageOf(record);
  if (message !== null) {
    const text = collapseWhitespace(message.text);
    if (text === '') return null;
    const hash = hashOf(text);
    const last = state.unpaired[message.role];
    if (last !== undefined && last.via !== message.via && last.hash === hash) {
      delete state.unpaired[message.role];
      return null;
    }
    state.unpaired[message.role] = { via: message.via, hash };
    return { role: message.role, kind: message.kind, text };
  }
  if (record.kind !== 'response_item') return null;
  const p = record.payload;
  const type = typeof p.type === 'string' ? p.type : '';
  let text: string;
  if (type in TOOL_CALL_FIELDS) {
    const name = typeof p.name === 'string' ? `${p.name} ` : '';
    text = toolText(name + argumentText(p[TOOL_CALL_FIELDS[type] as string]));
  } else if (TOOL_OUTPUTS.has(type)) {
    text = toolText(p.output);
  } else if (type === 'reasoning') {
    const summary = Array.isArray(p.summary) ? p.summary : [];
    text = collapseWhitespace(summary.flatMap((s) => (isObject(s) && typeof s.text === 'string' ? [s.text] : [])).join(' '));
    return text === '' ? null : { role: 'reasoning', kind: type, text };
  } else {
    return null;
  }
  return text === '' ? null : { role: 'tool', kind: type, text };
}
