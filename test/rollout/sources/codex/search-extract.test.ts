import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../../../src/rollout/sources/codex/formats.js';
import { TOOL_TEXT_LIMIT, initialExtractState, searchDocOf } from '../../../../src/rollout/sources/codex/search-extract.js';
import type { JsonRecord } from '../../../../src/rollout/types.js';
import { wellFormed } from '../../../helper.js';

const docsOf = (records: JsonRecord[]) => {
  const state = initialExtractState();
  return records.map((r) => searchDocOf(normalizeRecord(r), state));
};
const item = (payload: JsonRecord): JsonRecord => ({ timestamp: 't', type: 'response_item', payload });
const event = (payload: JsonRecord): JsonRecord => ({ timestamp: 't', type: 'event_msg', payload });
const userItem = (...texts: string[]) =>
  item({ type: 'message', role: 'user', content: texts.map((text) => ({ type: 'input_text', text })) });
const assistantItem = (text: string) => item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });

describe('searchable text of a record', () => {
  it('takes what the user typed, without injected context or the request marker', () => {
    expect(docsOf([
      userItem('<environment_context>\n  <cwd>/x</cwd>\n</environment_context>'),
      userItem('# AGENTS.md instructions for /x\n\nbe nice', 'fix   the\nparser'),
      event({ type: 'user_message', message: 'context\n## My request for Codex:\nadd tests', kind: 'plain' }),
      event({ type: 'user_message', message: '<user_shell_command>ls</user_shell_command>' }),
      item({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'system prose' }] }),
    ])).toEqual([
      null,
      { role: 'user', kind: 'message', text: 'fix the parser' },
      { role: 'user', kind: 'user_message', text: 'add tests' },
      null,
      null,
    ]);
  });

  it('counts a message written both as an event and as a response item once, in either order', () => {
    expect(docsOf([
      userItem('hello there'),
      event({ type: 'user_message', message: 'hello there' }),
      event({ type: 'agent_message', message: 'hi!' }),
      assistantItem('hi!'),
      // The same words typed again are a new message, and so is its twin's twin.
      userItem('hello there'),
      event({ type: 'user_message', message: 'hello there' }),
      userItem('hello there'),
    ]).map((d) => d?.kind ?? null)).toEqual(['message', null, 'agent_message', null, 'message', null, 'message']);
  });

  it('reads tool calls, outputs and reasoning summaries in every generation', () => {
    const [call, output, shell, patch, reasoning, legacy] = docsOf([
      item({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"rg -n \\"TODO\\" src","workdir":"/x"}', call_id: 'c' }),
      item({ type: 'function_call_output', call_id: 'c', output: 'src/a.ts:1: TODO\n' }),
      { record_type: 'response', type: 'local_shell_call', action: { type: 'exec', command: ['bash', '-lc', 'make test'] } },
      item({ type: 'custom_tool_call', name: 'apply_patch', input: '*** Begin Patch\n*** Update File: a.ts\n+x' }),
      item({ type: 'reasoning', summary: [{ type: 'summary_text', text: '**Planning** the fix' }], encrypted_content: 'zzz' }),
      { type: 'function_call_output', call_id: 'c', output: { content: 'old style output' } },
    ]);
    expect(call).toEqual({ role: 'tool', kind: 'function_call', text: 'exec_command rg -n "TODO" src /x' });
    expect(output).toEqual({ role: 'tool', kind: 'function_call_output', text: 'src/a.ts:1: TODO' });
    expect(shell).toEqual({ role: 'tool', kind: 'local_shell_call', text: 'exec bash -lc make test' });
    expect(patch?.text).toBe('apply_patch *** Begin Patch *** Update File: a.ts +x');
    expect(reasoning).toEqual({ role: 'reasoning', kind: 'reasoning', text: '**Planning** the fix' });
    expect(legacy?.text).toBe('old style output');
  });

  it('indexes each tool output up to its bound, never splitting a character', () => {
    const long = `${'a'.repeat(TOOL_TEXT_LIMIT - 1)}😀 tail beyond the bound`;
    const [doc] = docsOf([item({ type: 'function_call_output', call_id: 'c', output: long })]);
    expect(doc?.text.length).toBe(TOOL_TEXT_LIMIT - 1);
    expect(wellFormed(doc?.text ?? '')).toBe(true);
    
    expect(doc?.text.includes('tail')).toBe(false);
  });

  it('ignores records with nothing to search', () => {
    expect(docsOf([
      { timestamp: 't', type: 'session_meta', payload: { id: 'x', base_instructions: { text: 'long prose' } } },
      { timestamp: 't', type: 'turn_context', payload: { model: 'm' } },
      event({ type: 'token_count', info: null }),
      userItem(''),
      { record_type: 'state' },
    ])).toEqual([null, null, null, null, null]);
  });
});
