// The dashboard's transcript of Claude Code sessions (web/src/session/claude-entries.ts over the
// export's claude-items.ts), on the real files written by Claude Code 2.1.197 and on the cases
// they do not show (compaction, unknown types, an older multi-block line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyClaudePath } from '../../src/rollout/sources/claude/discovery.js';
import { ClaudeUsageCounter } from '../../src/rollout/sources/claude/usage-counter.js';
import type { SessionSummary } from '../../web/src/api/types.js';
import {
  TranscriptBuilder,
  type ContextEntry,
  type Entry,
  type NoticeEntry,
  type ToolEntry,
  type TurnEntry,
} from '../../web/src/session/entries.js';
import { resumeCommand } from '../../web/src/session/resume.js';

const HOME = join(import.meta.dirname, '../fixtures/claude-home-real');
const API = 'projects/-home-dev-api-server';
const WEB = 'projects/-home-dev-web-app';

type Json = Record<string, unknown>;
const records = (rel: string): Json[] =>
  readFileSync(join(HOME, rel), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);

function build(lines: Json[]): TranscriptBuilder {
  const builder = new TranscriptBuilder();
  lines.forEach((record, i) => builder.add(record, i + 1));
  return builder;
}

const shape = (entries: Entry[]) =>
  entries.map((e) => {
    switch (e.kind) {
      case 'message':
        return `${e.role}`;
      case 'tool':
        return `tool:${e.call.name}`;
      case 'context':
        return `context:${e.label}`;
      case 'notice':
        return `notice:${e.level}`;
      case 'reasoning':
        return e.folded === true ? 'thinking' : 'reasoning';
      case 'turn':
        return `turn ${e.index}`;
    }
  });

const tools = (b: TranscriptBuilder) => b.entries.filter((e): e is ToolEntry => e.kind === 'tool');
const turns = (b: TranscriptBuilder) => b.entries.filter((e): e is TurnEntry => e.kind === 'turn');

describe('a Claude Code transcript in the dashboard', () => {
  it('reads a --continue session: two turns, Write and Edit as diffs, Read naming its file, Bash as a command, thinking folded', () => {
    const lines = records(`${WEB}/5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13.jsonl`);
    const b = build(lines);
    expect(b.agent).toBe('claude');
    expect(shape(b.entries)).toEqual([
      'turn 1',
      'user',
      'context:attachment: agent_listing_delta',
      'context:attachment: skill_listing',
      'thinking',
      'assistant',
      'tool:Write',
      'thinking',
      'assistant',
      'turn 2',
      'user',
      'thinking',
      'tool:Read',
      'thinking',
      'tool:Edit',
      'thinking',
      'tool:Bash',
      'thinking',
      'assistant',
    ]);
    const [write, read, edit, bash] = tools(b) as [ToolEntry, ToolEntry, ToolEntry, ToolEntry];
    expect(write.call.target).toBe('/home/dev/web-app/src/utils/format.js');
    const file = '/home/dev/web-app/src/utils/format.js';
    expect(write.call.patch?.split('\n').slice(0, 3)).toEqual(['--- /dev/null', `+++ ${file}`, '+// Date helpers']);
    expect(write.output?.text).toMatch(/^File created successfully/);
    expect(read.call).toMatchObject({ target: '/home/dev/web-app/src/utils/format.js', command: null, input: null, patch: null });
    expect(read.output?.text).toMatch(/^1\t\/\/ Date helpers\n2\texport function formatDate/);
    expect(edit.call.patch).toContain('\n-export function formatDate(d) {\n+export function formatIsoDate(d) {');
    expect(bash.call.command).toBe("grep -rn 'formatDate' src || echo 'no other references'");
    expect(bash).toMatchObject({ output: { text: 'no other references' }, ended: false });
    expect(bash.isError ?? false).toBe(false);
    // Each turn is the prompt's promptId (the usage counter's turn id) and names its model.
    const prompts = lines.filter((r) => r.type === 'user' && typeof (r.message as Json).content === 'string');
    expect(turns(b).map((t) => t.turnId)).toEqual(prompts.map((r) => r.promptId));
    expect(turns(b).every((t) => t.model === 'claude-sonnet-4-5-20250929')).toBe(true);
    expect(b.meta).toMatchObject({ id: '5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13', cwd: '/home/dev/web-app', branch: 'main' });
  });

  it("places each of the usage counter's responses on a turn of the transcript", () => {
    for (const name of ['5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13.jsonl', '36760438-3946-4452-936d-453806fa61da.jsonl']) {
      const lines = records(`${WEB}/${name}`);
      const b = build(lines);
      const counter = new ClaudeUsageCounter();
      const responses = lines.flatMap((r, i) => counter.feed(r, i + 1) ?? []);
      expect(responses.length).toBeGreaterThan(1);
      for (const r of responses) expect(b.turnKey(r.turnId as string), `${name} ${r.responseKey}`).toBeDefined();
      expect(b.usageMarks.length).toBeGreaterThanOrEqual(responses.length);
    }
  });

  it("links an Agent call to its sub-agent's session, by the id the source gives the sub-agent's file", () => {
    const parent = '06d6efa2-55a7-436d-8ca5-53285341e9bb';
    const b = build(records(`${API}/${parent}.jsonl`));
    const agent = tools(b).find((t) => t.call.name === 'Agent') as ToolEntry;
    const file = classifyClaudePath(`${API}/${parent}/subagents/agent-a8e81a30845775904.jsonl`);
    expect(file?.kind).toBe('session');
    const subagentId = file?.kind === 'session' ? file.file.id : null;
    expect(agent.subagent).toEqual({ agentId: 'a8e81a30845775904', sessionId: subagentId });
    expect(agent.call.target).toBe('Find TODO comments (general-purpose)');
    expect(agent.call.input).toMatch(/^Search all source files/);
    expect(agent.output?.text).toContain('server.js:5:// TODO');
    // turn_duration ends the turn: its duration is the turn's.
    const durations = records(`${API}/${parent}.jsonl`).filter((r) => r.subtype === 'turn_duration');
    expect(turns(b).map((t) => t.durationMs)).toEqual(durations.map((r) => r.durationMs));
  });

  it("reads a sub-agent's own file: its prompt, its Bash call, and no session id of its own", () => {
    const b = build(records(`${API}/06d6efa2-55a7-436d-8ca5-53285341e9bb/subagents/agent-a8e81a30845775904.jsonl`));
    expect(shape(b.entries)).toEqual(['turn 1', 'user', 'context:attachment: skill_listing', 'assistant', 'tool:Bash', 'assistant']);
    expect(b.meta?.id).toBeNull();
    expect(tools(b)[0]?.output?.text).toContain('TODO');
  });

  it('shows an API error as an error notice, with no model for the turn', () => {
    const b = build(records(`${API}/184cbaac-320a-4b57-8bd4-52915a25e2b7.jsonl`));
    const notice = b.entries.find((e): e is NoticeEntry => e.kind === 'notice');
    expect(notice).toMatchObject({ level: 'error', title: 'API error', text: expect.stringMatching(/^API Error: 529 Overloaded/) });
    expect(turns(b)[0]?.model).toBeNull();
    expect(b.usageMarks).toHaveLength(0);
  });

  it('reads every real file without an entry left unaccounted: each conversation line is shown', () => {
    const apiIds = [
      '06d6efa2-55a7-436d-8ca5-53285341e9bb',
      '184cbaac-320a-4b57-8bd4-52915a25e2b7',
      '1c88eea7-1651-4c5a-99dc-109b89310655',
      '3471cd50-5c95-48c3-8f2b-07137ab51d3b',
      'bf2f8144-4940-4abd-ae48-51a4b8a6357e',
    ];
    const files = [
      ...apiIds.map((id) => `${API}/${id}.jsonl`),
      `${WEB}/36760438-3946-4452-936d-453806fa61da.jsonl`,
      `${WEB}/a1d78632-8649-4e18-a447-5bf96b2bb9f4.jsonl`,
      'projects/-home-dev-donn-es-caf-/501e2b5f-8a78-4655-a1b7-d98dc23447ac.jsonl',
      'projects/-home-dev-donn-es-caf-/630c32ab-267e-4b06-a873-da24bf186bac.jsonl',
    ];
    for (const rel of files) {
      const lines = records(rel);
      const b = build(lines);
      const shownLines = new Set(b.entries.map((e) => e.line));
      const results = new Set(tools(b).filter((t) => t.output !== null).map((t) => t.callId));
      lines.forEach((r, i) => {
        if (!['user', 'assistant', 'attachment'].includes(r.type as string)) return;
        const content = (r.message as Json | undefined)?.content;
        const result = Array.isArray(content) ? (content as Json[]).find((c) => c.type === 'tool_result') : undefined;
        if (result !== undefined) expect(results.has(result.tool_use_id as string), `${rel}:${i + 1}`).toBe(true);
        else expect(shownLines.has(i + 1), `${rel}:${i + 1}`).toBe(true);
      });
      expect(tools(b).every((t) => t.output !== null), rel).toBe(true);
    }
  });

  const base = { sessionId: 'c0ffee00-0000-4000-8000-000000000001', cwd: '/w', version: '2.1.197', gitBranch: 'main', isSidechain: false };
  const at = (n: number) => `2026-12-06T10:00:${String(n).padStart(2, '0')}.000Z`;
  const user = (n: number, content: unknown, extra: Json = {}): Json => ({
    ...base,
    type: 'user',
    uuid: `u${n}`,
    timestamp: at(n),
    message: { role: 'user', content },
    ...extra,
  });
  const line = (n: number, type: string, extra: Json = {}): Json => ({ ...base, type, timestamp: at(n), ...extra });

  it('shows a compaction as a notice and its summary as folded context, in the same turn', () => {
    const caveat = 'Caveat: The messages below were generated by the user while running local commands.';
    const b = build([
      user(1, 'hello', { promptId: 'p1' }),
      line(2, 'system', { subtype: 'compact_boundary', compactMetadata: { trigger: 'manual', preTokens: 45210 } }),
      user(3, 'This session is being continued. Summary: ...', { isCompactSummary: true }),
      user(4, [{ type: 'text', text: caveat }], { isMeta: true }),
      user(5, '<command-name>/compact</command-name>\n<command-message>compact</command-message>'),
    ]);
    const expected = ['turn 1', 'user', 'notice:info', 'context:compaction summary', 'context:meta', 'context:command name'];
    expect(shape(b.entries)).toEqual(expected);
    expect(b.entries[2]).toMatchObject({ title: 'The conversation was compacted here (manual, 45,210 tokens before).' });
    expect((b.entries[3] as ContextEntry).text).toMatch(/^This session is being continued/);
  });

  it('names a record or block of an unknown type instead of dropping it, and skips only the known state records', () => {
    const blocks = [{ type: 'redacted_thinking', data: 'xx' }, { type: 'text', text: 'ok' }];
    const b = build([
      line(1, 'queue-operation', { operation: 'enqueue', content: 'hi' }),
      user(2, 'hi'),
      line(3, 'brand-new-thing', { detail: 42 }),
      line(4, 'assistant', { uuid: 'a1', message: { id: 'm1', model: 'claude-opus-4-5', content: blocks } }),
      line(5, 'ai-title', { aiTitle: 'Greeting' }),
      line(6, 'system', { subtype: 'informational', level: 'warning', content: 'Hook failed' }),
      user(7, [{ type: 'tool_result', tool_use_id: 'nope', content: 'boom', is_error: true }]),
    ]);
    const expected = ['turn 1', 'user', 'context:brand-new-thing record', 'context:redacted_thinking block', 'assistant'];
    expected.push('notice:warn', 'tool:tool');
    expect(shape(b.entries)).toEqual(expected);
    const unknown = b.entries[2] as ContextEntry;
    expect(unknown.unknown).toBe(true);
    expect(JSON.parse(unknown.text)).toMatchObject({ type: 'brand-new-thing', detail: 42 });
    expect(b.entries[5]).toMatchObject({ title: 'Hook failed' });
    expect(tools(b)[0]).toMatchObject({ isError: true, output: { text: 'boom' } });
  });

  it('offers each agent its own resume command, and none for a Claude sub-agent', () => {
    const summary = { id: 'c0ffee00-0000-4000-8000-000000000001', source: 'exec', forkedFromId: null } as SessionSummary;
    expect(resumeCommand(summary, 'codex')).toBe(`codex resume ${summary.id}`);
    expect(resumeCommand(summary, 'claude')).toBe(`claude --resume ${summary.id}`);
    expect(resumeCommand({ ...summary, source: 'subagent', forkedFromId: summary.id }, 'claude')).toBeNull();
  });
});
