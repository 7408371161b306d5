// What a reader wants from a tool call: the command as typed, a patch as a diff, a plan as a
// list; and from its output: the text, the exit code and the wall time. Each Codex version
// spelled these differently; the forms below are the ones seen on disk.
import { isObject, num, str, type Json } from './records.js';

export interface PlanStep {
  step: string;
  status: string;
}

export interface ToolCall {
  name: string;
  /** A shell command, or the query of a web search. */
  command: string | null;
  /** apply_patch input (the *** Begin Patch format) or a unified diff. */
  patch: string | null;
  plan: PlanStep[] | null;
  /** Anything else the call carried, as text (pretty JSON for arguments). */
  input: string | null;
  /** What the call acts on when that is not a command: a file (Claude's Read, Write, Edit), a sub-agent's task. */
  target?: string | null;
}

export interface ToolOutput {
  text: string;
  exitCode: number | null;
  seconds: number | null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const SHELLS = /^(?:\/usr)?(?:\/bin\/)?(?:ba|z|fi)?sh$/;

/** `["bash", "-lc", "npm test"]` reads as `npm test`; other argv arrays are joined, quoting where needed. */
export function commandText(command: unknown): string | null {
  if (typeof command === 'string') return command;
  if (!Array.isArray(command) || !command.every((c) => typeof c === 'string')) return null;
  const argv = command as string[];
  if (argv.length === 3 && SHELLS.test(argv[0] as string) && /^-l?c$/.test(argv[1] as string)) return argv[2] as string;
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function pretty(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

function planOf(value: unknown): PlanStep[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter(isObject).map((s) => ({ step: str(s.step) ?? '', status: str(s.status) ?? 'pending' }));
}

/** A `function_call` (arguments are a JSON string) or `custom_tool_call` (free-form input). */
export function toolCallOf(payload: Json): ToolCall {
  const name = str(payload.name) ?? str(payload.type) ?? 'tool';
  const call: ToolCall = { name, command: null, patch: null, plan: null, input: null };
  if (payload.type === 'custom_tool_call') {
    const input = str(payload.input);
    if (name === 'apply_patch') call.patch = input;
    else call.input = input;
    return call;
  }
  if (payload.type === 'local_shell_call') {
    call.name = 'shell';
    call.command = commandText(isObject(payload.action) ? payload.action.command : null);
    return call;
  }
  if (payload.type === 'web_search_call') {
    call.name = 'web_search';
    call.command = isObject(payload.action) ? str(payload.action.query) : null;
    return call;
  }
  const raw = str(payload.arguments);
  const args = raw === null ? payload.arguments : parseJson(raw);
  if (!isObject(args)) {
    call.input = raw ?? pretty(args);
    return call;
  }
  if (name === 'apply_patch' && typeof args.input === 'string') call.patch = args.input;
  else if (name === 'update_plan' && Array.isArray(args.plan)) {
    call.plan = planOf(args.plan);
    call.input = str(args.explanation);
  } else if (typeof args.cmd === 'string') call.command = args.cmd;
  else if (args.command !== undefined && commandText(args.command) !== null) call.command = commandText(args.command);
  else call.input = pretty(args);
  return call;
}

const OUTPUT_MARKER = '\nOutput:\n';

/** The header Codex puts before a command's output ("Exit code: 0", "Wall time: 1.2 seconds", ...). */
function fromHeader(text: string): ToolOutput | null {
  const at = text.indexOf(OUTPUT_MARKER);
  if (at === -1 || at > 400) return null;
  const header = text.slice(0, at);
  if (!/^(Chunk ID|Exit code|Wall time|Process exited)/m.test(header)) return null;
  const exit = /(?:Exit code:|exited with code)\s*(-?\d+)/.exec(header);
  const wall = /Wall time:\s*([\d.]+)/.exec(header);
  return { text: text.slice(at + OUTPUT_MARKER.length), exitCode: exit ? Number(exit[1]) : null, seconds: wall ? Number(wall[1]) : null };
}

/** A `function_call_output` / `custom_tool_call_output` payload's `output`, in any of its forms. */
export function toolOutputOf(output: unknown): ToolOutput {
  if (Array.isArray(output)) {
    const text = output.filter(isObject).map((part) => str(part.text) ?? (str(part.type)?.includes('image') ? '[image]' : ''));
    return { text: text.join('\n'), exitCode: null, seconds: null };
  }
  if (isObject(output)) return { text: str(output.content) ?? pretty(output) ?? '', exitCode: null, seconds: null };
  const text = str(output) ?? '';
  const parsed = text.startsWith('{') ? parseJson(text) : undefined;
  if (isObject(parsed) && typeof parsed.output === 'string') {
    const meta = isObject(parsed.metadata) ? parsed.metadata : {};
    return { text: parsed.output, exitCode: num(meta.exit_code), seconds: num(meta.duration_seconds) };
  }
  return fromHeader(text) ?? { text, exitCode: null, seconds: null };
}

/** `{secs, nanos}` (Rust Duration), or plain seconds / milliseconds fields, as seconds. */
export function durationSeconds(value: unknown): number | null {
  if (isObject(value)) {
    const secs = num(value.secs);
    return secs === null ? null : secs + (num(value.nanos) ?? 0) / 1e9;
  }
  return num(value);
}
