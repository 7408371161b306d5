import { isObject, stringOrNull, type NormalizedRecord } from '../sources/codex/formats.js';
import { isInjectedContext } from '../sources/codex/injected-context.js';
import { stripToUserRequest } from '../sources/codex/title.js';

/**
 * What a reader of a session sees, whatever agent wrote it: messages, reasoning summaries, tool
 * calls and their outputs, and notices. A source turns its records into these (codexItems below
 * for Codex); the renderers (markdown.ts, html.ts) know nothing of any file format.
 */
export type TranscriptItem =
  | { kind: 'message'; role: 'user' | 'assistant'; text: string; images: number; at: string | null }
  | { kind: 'reasoning'; text: string; at: string | null }
  | {
      kind: 'tool_call';
      callId: string | null;
      name: string;
      command: string | null;
      patch: string | null;
      input: string | null;
      /** What the call acts on when that is not a command: a file (Claude's Read, Write, Edit), a sub-agent's task. */
      target?: string | null;
      at: string | null;
    }
  | {
      kind: 'tool_output';
      callId: string | null;
      text: string;
      exitCode: number | null;
      /** The tool said it failed (Claude's `is_error`). */
      isError?: boolean;
      /** The sub-agent that produced it (Claude's Agent tool): its agent id and its session's id (a UUIDv5). */
      subagent?: { agentId: string; sessionId: string };
      at: string | null;
    }
  | { kind: 'notice'; text: string; at: string | null; level?: 'info' | 'warn' | 'error'; title?: string };

const SHELLS = /^(?:\/usr)?(?:\/bin\/)?(?:ba|z|fi|da)?sh$/;

/** `["bash", "-lc", "npm test"]` reads as `npm test`; other argv arrays are joined, quoting where needed. */
export function commandText(command: unknown): string | null {
  if (typeof command === 'string') return command;
  if (!Array.isArray(command) || !command.every((c) => typeof c === 'string')) return null;
  const argv = command as string[];
  if (argv.length === 3 && SHELLS.test(argv[0] as string) && /^-l?c$/.test(argv[1] as string)) return argv[2] as string;
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const pretty = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value, null, 2);

type ToolCallItem = Extract<TranscriptItem, { kind: 'tool_call' }>;

/** A tool call's command, patch or other input, from any of the forms Codex wrote. */
function toolCall(p: Record<string, unknown>, at: string | null): ToolCallItem {
  const callId = stringOrNull(p.call_id) ?? stringOrNull(p.id);
  const name = stringOrNull(p.name) ?? 'tool';
  const call: ToolCallItem = { kind: 'tool_call', callId, name, command: null, patch: null, input: null, at };
  if (p.type === 'local_shell_call' || p.type === 'web_search_call') {
    const action = isObject(p.action) ? p.action : {};
    call.name = p.type === 'local_shell_call' ? 'shell' : 'web_search';
    call.command = p.type === 'local_shell_call' ? commandText(action.command) : stringOrNull(action.query);
    return call;
  }
  if (p.type === 'custom_tool_call') {
    const input = stringOrNull(p.input);
    if (call.name === 'apply_patch') call.patch = input;
    else call.input = input;
    return call;
  }
  const raw = stringOrNull(p.arguments);
  const args = raw === null ? p.arguments : parseJson(raw);
  if (!isObject(args)) call.input = raw ?? pretty(args);
  else if (call.name === 'apply_patch' && typeof args.input === 'string') call.patch = args.input;
  else if (typeof args.cmd === 'string') call.command = args.cmd;
  else if (args.command !== undefined && commandText(args.command) !== null) call.command = commandText(args.command);
  else call.input = pretty(args);
  return call;
}

const OUTPUT_MARKER = '\nOutput:\n';

/** A tool output's text and exit code: plain text, Codex's "Exit code: …\nOutput:\n" header, or `{output, metadata}` JSON. */
function toolOutput(output: unknown): { text: string; exitCode: number | null } {
  if (Array.isArray(output)) {
    const parts = output.filter(isObject).map((part) => stringOrNull(part.text) ?? (String(part.type).includes('image') ? '[image]' : ''));
    return { text: parts.join('\n'), exitCode: null };
  }
  if (isObject(output)) return { text: stringOrNull(output.content) ?? pretty(output) ?? '', exitCode: null };
  const text = typeof output === 'string' ? output : '';
  const parsed = text.startsWith('{') ? parseJson(text) : undefined;
  if (isObject(parsed) && typeof parsed.output === 'string') {
    const meta = isObject(parsed.metadata) ? parsed.metadata : {};
    return { text: parsed.output, exitCode: typeof meta.exit_code === 'number' ? meta.exit_code : null };
  }
  const at = text.indexOf(OUTPUT_MARKER);
  if (at !== -1 && at < 400 && /^(Chunk ID|Exit code|Wall time|Process exited)/m.test(text.slice(0, at))) {
    const exit = /(?:Exit code:|exited with code)\s*(-?\d+)/.exec(text.slice(0, at));
    return { text: text.slice(at + OUTPUT_MARKER.length), exitCode: exit ? Number(exit[1]) : null };
  }
  return { text, exitCode: null };
}

/** A message's typed text (injected context left out) and its image count. */
function messageContent(content: unknown, role: string): { text: string; images: number } {
  if (typeof content === 'string') return { text: role === 'user' && isInjectedContext(content) ? '' : content, images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of Array.isArray(content) ? content : []) {
    if (!isObject(part)) continue;
    const text = stringOrNull(part.text) ?? stringOrNull(part.refusal);
    if (text !== null) {
      if (!(role === 'user' && isInjectedContext(text))) texts.push(text);
    } else if (String(part.type).includes('image')) images += 1;
  }
  return { text: texts.join('\n\n'), images };
}

const TOOL_CALLS = new Set(['function_call', 'custom_tool_call', 'local_shell_call', 'web_search_call']);
const TOOL_OUTPUTS = new Set(['function_call_output', 'custom_tool_call_output', 'local_shell_call_output']);

/**
 * The transcript items of one Codex record. Response items carry the conversation in every
 * format generation, so messages, reasoning and tools are taken from them only: the events
 * that repeat them (user_message, agent_message, exec_command_end, 0.169's item_completed)
 * are left out, which shows each thing once without pairing. Events add the notices.
 */
export function codexItem(record: NormalizedRecord, at: string | null): TranscriptItem | null {
  const p = record.payload;
  if (record.kind === 'response_item') {
    const type = typeof p.type === 'string' ? p.type : '';
    if (type === 'message') {
      const role = p.role === 'assistant' ? 'assistant' : p.role === 'user' ? 'user' : null;
      if (role === null) return null; // developer and system prompts are instructions, not the conversation
      const { text, images } = messageContent(p.content, role);
      if (text.trim() === '' && images === 0) return null;
      return { kind: 'message', role, text: role === 'user' ? stripToUserRequest(text) : text, images, at };
    }
    if (type === 'reasoning') {
      const summary = Array.isArray(p.summary) ? p.summary : [];
      const text = summary.flatMap((s) => (isObject(s) && typeof s.text === 'string' ? [s.text] : [])).join('\n\n');
      return text.trim() === '' ? null : { kind: 'reasoning', text, at };
    }
    if (TOOL_CALLS.has(type)) return toolCall(p, at);
    if (TOOL_OUTPUTS.has(type)) return { kind: 'tool_output', callId: stringOrNull(p.call_id), ...toolOutput(p.output), at };
    return null;
  }
  if (record.kind === 'compacted') return { kind: 'notice', text: 'The conversation was compacted here.', at };
  if (record.kind !== 'event_msg') return null;
  if (p.type === 'turn_aborted') return { kind: 'notice', text: `Turn aborted${p.reason ? ` (${String(p.reason)})` : ''}.`, at };
  if (p.type === 'error' && typeof p.message === 'string') return { kind: 'notice', text: `Error: ${p.message}`, at };
  return null;
}

/** The record's timestamp (envelope `timestamp`, or a legacy item's own), when it has one. */
export function recordTime(record: Record<string, unknown>): string | null {
  return stringOrNull(record.timestamp);
}
