// Sessions for the browser tests, in the line formats Codex wrote over time (see helper.ts for
// the plain ones): a rich 2025 envelope session, a long one, and a hostile one.
import { stampToIso, type Line, type SessionSpec } from '../helper.js';

const ESC = '\u001b';

function at(spec: SessionSpec, second: number): string {
  return new Date(Date.parse(stampToIso(spec.stamp)) + second * 1000).toISOString();
}

function envelope(ts: string, type: string, payload: Record<string, unknown>): Line {
  return { timestamp: ts, type, payload };
}

function meta(spec: SessionSpec, extra: Record<string, unknown> = {}): Line {
  return envelope(at(spec, 0), 'session_meta', {
    id: spec.id,
    timestamp: stampToIso(spec.stamp),
    cwd: spec.cwd ?? '/home/u/proj',
    originator: 'codex_cli_rs',
    cli_version: '0.44.0',
    source: spec.source ?? 'cli',
    model_provider: spec.provider ?? 'openai',
    git: { branch: 'main', commit_hash: 'abc', repository_url: null },
    ...extra,
  });
}

const userItem = (ts: string, text: string) =>
  envelope(ts, 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const assistantItem = (ts: string, text: string) =>
  envelope(ts, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });

function tokenCount(ts: string, total: number[], last: number[]): Line {
  const usage = ([input, cached, output, reasoning]: number[]) => ({
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: (input ?? 0) + (output ?? 0),
  });
  return envelope(ts, 'event_msg', {
    type: 'token_count',
    info: { total_token_usage: usage(total), last_token_usage: usage(last), model_context_window: 272000 },
  });
}

export const RICH_PATCH =
  '*** Begin Patch\n*** Update File: src/app.ts\n@@ export function add\n-  return a - b;\n+  return a + b;\n*** End Patch\n';
export const RICH_FINAL = 'Fixed it: `add` now returns **a + b**.\n\n- one\n- two';

/**
 * A 2025 envelope session with everything the transcript shows: event and response-item twins,
 * reasoning, a shell call with coloured failing output, a patch, a plan, and token counts
 * (one of them a re-emission that must not count twice).
 */
export function richSessionLines(spec: SessionSpec): Line[] {
  const t = (s: number) => at(spec, s);
  return [
    meta(spec),
    userItem(t(1), '<environment_context>\n  <cwd>/home/u/proj</cwd>\n</environment_context>'),
    envelope(t(1), 'turn_context', { cwd: '/home/u/proj', model: 'gpt-5-codex', approval_policy: 'never' }),
    userItem(t(2), spec.title ?? 'fix the add function'),
    envelope(t(2), 'event_msg', { type: 'user_message', message: spec.title ?? 'fix the add function', images: [] }),
    envelope(t(3), 'event_msg', { type: 'agent_reasoning', text: '**Looking at the failing test**' }),
    envelope(t(3), 'response_item', {
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: '**Looking at the failing test**' }],
      encrypted_content: 'x',
    }),
    envelope(t(4), 'response_item', {
      type: 'function_call',
      name: 'shell',
      arguments: JSON.stringify({ command: ['bash', '-lc', 'npm test'] }),
      call_id: 'call_1',
    }),
    envelope(t(6), 'response_item', {
      type: 'function_call_output',
      call_id: 'call_1',
      output: JSON.stringify({
        output: `${ESC}[31mFAIL${ESC}[0m src/add.test.ts\n${ESC}[1;32m2 passed${ESC}[0m, 1 failed\n`,
        metadata: { exit_code: 1, duration_seconds: 2.5 },
      }),
    }),
    tokenCount(t(6), [1000, 200, 50, 10], [1000, 200, 50, 10]),
    tokenCount(t(6), [1000, 200, 50, 10], [1000, 200, 50, 10]),
    envelope(t(7), 'response_item', {
      type: 'custom_tool_call',
      name: 'apply_patch',
      input: RICH_PATCH,
      call_id: 'call_2',
      status: 'completed',
    }),
    envelope(t(7), 'response_item', {
      type: 'custom_tool_call_output',
      call_id: 'call_2',
      output: 'Success. Updated the following files:\nM src/app.ts\n',
    }),
    envelope(t(8), 'response_item', {
      type: 'function_call',
      name: 'update_plan',
      arguments: JSON.stringify({
        plan: [
          { step: 'Run the tests', status: 'completed' },
          { step: 'Fix add', status: 'in_progress' },
        ],
      }),
      call_id: 'call_3',
    }),
    envelope(t(8), 'response_item', { type: 'function_call_output', call_id: 'call_3', output: 'Plan updated' }),
    tokenCount(t(9), [2500, 1200, 130, 30], [1500, 1000, 80, 20]),
    envelope(t(9), 'event_msg', { type: 'agent_message', message: RICH_FINAL }),
    assistantItem(t(9), RICH_FINAL),
    userItem(t(20), 'thanks, now run the linter'),
    envelope(t(20), 'event_msg', { type: 'user_message', message: 'thanks, now run the linter', images: [] }),
    assistantItem(t(21), 'The linter is clean.'),
    tokenCount(t(21), [3000, 1500, 150, 30], [500, 300, 20, 0]),
  ];
}

/** A long session: `turns` user/assistant exchanges, for windowed rendering. */
export function longSessionLines(spec: SessionSpec, turns: number): Line[] {
  const lines: Line[] = [meta(spec)];
  for (let i = 1; i <= turns; i += 1) {
    lines.push(userItem(at(spec, i), `question number ${i}`), assistantItem(at(spec, i), `answer number ${i}`));
  }
  return lines;
}

export interface Exchange {
  user: string;
  assistant: string;
  /** A shell command the assistant ran before answering, and its output. */
  shell?: [command: string, output: string];
}

/** A session of plain exchanges (a minute apart), each optionally with a shell call: for search. */
export function exchangeLines(spec: SessionSpec, exchanges: Exchange[]): Line[] {
  const lines: Line[] = [meta(spec, spec.cwd ? { cwd: spec.cwd } : {})];
  exchanges.forEach((x, i) => {
    const t = (s: number) => at(spec, 60 * i + s);
    lines.push(envelope(t(1), 'turn_context', { model: 'gpt-5-codex' }), userItem(t(1), x.user));
    if (x.shell) {
      const args = JSON.stringify({ command: ['bash', '-lc', x.shell[0]] });
      lines.push(
        envelope(t(2), 'response_item', { type: 'function_call', name: 'shell', arguments: args, call_id: `c${i}` }),
        envelope(t(3), 'response_item', { type: 'function_call_output', call_id: `c${i}`, output: x.shell[1] }),
      );
    }
    lines.push(assistantItem(t(4), x.assistant));
  });
  return lines;
}

/** One model response's tokens, at its own time (SPEC §6 counts each in its time's day). */
export interface Spend {
  at: string;
  model: string;
  input: number;
  cached?: number;
  output: number;
  reasoning?: number;
}

/**
 * A session that spends `spends`, in order: each after a turn_context naming its model, as a
 * token_count event with the running total (how Codex writes them) and an assistant message.
 */
export function spendingLines(spec: SessionSpec, spends: Spend[]): Line[] {
  const lines: Line[] = [meta(spec), userItem(at(spec, 1), spec.title ?? 'spend some tokens')];
  let total = [0, 0, 0, 0];
  for (const s of spends) {
    const last = [s.input, s.cached ?? 0, s.output, s.reasoning ?? 0];
    total = total.map((v, i) => v + (last[i] as number));
    lines.push(envelope(s.at, 'turn_context', { model: s.model }), tokenCount(s.at, total, last));
    lines.push(assistantItem(s.at, `done on ${s.model}`));
  }
  return lines;
}

/** Each payload sets window.__pwned or opens a dialog if it ever runs. */
export const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'; alert(1)">',
  "[click me](javascript:window.__pwned='link')",
  '<a href="javascript:alert(2)">raw link</a>',
  '<svg onload="window.__pwned = \'svg\'"><circle r=1 /></svg>',
  '<iframe srcdoc="<script>parent.__pwned=\'iframe\'</script>"></iframe>',
  '<details open ontoggle="window.__pwned = \'toggle\'">x</details>',
  '![tracker](https://evil.example/pixel.png)',
].join('\n\n');

export const HOSTILE_TITLE = '<img src=x onerror="window.__pwned=\'title\'"> <script>window.__pwned="title"</script>';

/** A model name that tries to run script where the Usage page shows it (legend, table). */
export const HOSTILE_MODEL = '<img src=x onerror="window.__pwned=\'model\'">';

/** A session whose every text field tries to run script. */
export function hostileSessionLines(spec: SessionSpec): Line[] {
  const t = (s: number) => at(spec, s);
  return [
    meta(spec, { cwd: '/home/u/<img src=x onerror=alert(3)>' }),
    envelope(t(1), 'turn_context', { model: HOSTILE_MODEL }),
    userItem(t(1), HOSTILE_TITLE),
    userItem(t(2), HOSTILE),
    envelope(t(3), 'response_item', { type: 'reasoning', summary: [{ type: 'summary_text', text: HOSTILE }] }),
    envelope(t(4), 'response_item', {
      type: 'function_call',
      name: 'shell',
      arguments: JSON.stringify({ command: ['bash', '-lc', HOSTILE_TITLE] }),
      call_id: 'h1',
    }),
    envelope(t(5), 'response_item', { type: 'function_call_output', call_id: 'h1', output: `${ESC}[31m${HOSTILE}${ESC}[0m` }),
    envelope(t(6), 'response_item', {
      type: 'custom_tool_call',
      name: 'apply_patch',
      input: `*** Begin Patch\n*** Add File: x.html\n+${HOSTILE_TITLE}\n*** End Patch`,
      call_id: 'h2',
    }),
    assistantItem(t(7), HOSTILE),
    tokenCount(t(8), [1000, 0, 100, 0], [1000, 0, 100, 0]),
  ];
}
