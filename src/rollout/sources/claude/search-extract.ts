import { isObject } from '../common/json.js';
import { collapseWhitespace, TOOL_TEXT_LIMIT, type SearchDoc } from '../common/search-doc.js';
import type { JsonRecord } from '../../types.js';
import { blocksOf, isPrompt, isWrapperText } from './records.js';

/**
 * The searchable text of a Claude transcript line, in the SearchDoc shape the Codex extractor
 * gives (sources/codex/search-extract.ts), so that one matcher and one index serve both sources:
 *
 * - role `user`, kind `prompt`: what the person typed (the title's rules: no command wrappers,
 *   caveats, meta records, compaction summaries or tool results);
 * - role `assistant`, kind `text`: the assistant's text blocks;
 * - role `tool`, kind `tool_use`: the tool's name and every string of its input (a command, a
 *   path, a file's new content), and kind `tool_result`: the result's text; each at most
 *   TOOL_TEXT_LIMIT characters, as for Codex;
 * - role `reasoning`, kind `thinking`: the thinking text (Claude Code writes it in full where
 *   Codex writes a summary; `scope=all` searches it, as Codex's reasoning summaries).
 *
 * Claude Code 2.1 writes one content block per line, so a line gives at most one document. A
 * line of an older writer that holds several kinds of blocks gives one document per role, in
 * the order above, all with the line's number: a matcher that counts matching records counts
 * such a line once. No state is carried between lines: Claude does not write a message twice
 * the way Codex writes an event and a response item.
 */
export function claudeSearchDocs(record: JsonRecord): SearchDoc[] {
  if (record.type !== 'user' && record.type !== 'assistant') return [];
  const blocks = blocksOf(record);
  const docs: SearchDoc[] = [];
  const push = (role: SearchDoc['role'], kind: string, text: string) => {
    if (text !== '') docs.push({ role, kind, text });
  };
  if (record.type === 'user') {
    if (isPrompt(record)) {
      const typed = blocks.flatMap((b) => (b.type === 'text' && !isWrapperText(b.text) ? [b.text] : []));
      push('user', 'prompt', collapseWhitespace(typed.join(' ')));
    }
    const results = blocks.flatMap((b) => (b.type === 'tool_result' ? [stringsOf(b.content).join(' ')] : []));
    push('tool', 'tool_result', toolText(results.join(' ')));
    return docs;
  }
  push('assistant', 'text', collapseWhitespace(blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(' ')));
  const calls = blocks.flatMap((b) => (b.type === 'tool_use' ? [`${b.name ?? ''} ${stringsOf(b.input).join(' ')}`] : []));
  push('tool', 'tool_use', toolText(calls.join(' ')));
  push('reasoning', 'thinking', collapseWhitespace(blocks.flatMap((b) => (b.type === 'thinking' ? [b.text] : [])).join(' ')));
  return docs;
}

function toolText(text: string): string {
  return bounded(collapseWhitespace(text), TOOL_TEXT_LIMIT);
}

/** `text` cut to `limit` code units, never inside a surrogate pair. */
function bounded(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const code = text.charCodeAt(limit - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}

/**
 * Every string inside a JSON value (tool inputs and results nest) but a block's `type` tag,
 * depth-bounded, and stopping
 * once the strings reach the tool bound: a 15 MiB result is not copied whole to be cut.
 */
function stringsOf(value: unknown, out: string[] = [], depth = 0, budget = { left: TOOL_TEXT_LIMIT * 2 }): string[] {
  if (budget.left <= 0) return out;
  if (typeof value === 'string') {
    const piece = value.length > budget.left ? value.slice(0, budget.left) : value;
    budget.left -= piece.length;
    out.push(piece);
  } else if (depth < 16 && Array.isArray(value)) {
    for (const v of value) stringsOf(v, out, depth + 1, budget);
  } else if (depth < 16 && isObject(value)) {
    // An image block's base64 data is not text anyone searches for.
    if (value.type === 'image' || value.type === 'base64') return out;
    // Nor is a content block's tag (`"type": "text"`).
    for (const [k, v] of Object.entries(value)) if (k !== 'type') stringsOf(v, out, depth + 1, budget);
  }
  return out;
}
