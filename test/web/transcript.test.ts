// The dashboard's transcript model (web/src/session/): records of every format generation →
// entries, with twins merged, tool calls paired, and the server's per-turn usage placed on the
// transcript's turns.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConversationUsage } from '../../web/src/api/types.js';
import { TranscriptBuilder, type Entry, type ToolEntry, type TurnEntry } from '../../web/src/session/entries.js';
import { usageByTurn } from '../../web/src/session/turn-usage.js';
import { LineSplitter } from '../../web/src/session/ndjson.js';
import { commandText, toolOutputOf } from '../../web/src/session/tool-calls.js';
import { appFor, legacyLines, REAL_HOME, recordTypeLines, tempHome, uuidN, writeSession, type Line } from '../helper.js';
import { richSessionLines } from '../e2e/fixtures.js';

function build(lines: Line[]): TranscriptBuilder {
  const builder = new TranscriptBuilder();
  lines.forEach((line, i) => builder.add(typeof line === 'string' ? JSON.parse(line) : line, i + 1));
  return builder;
}

/** The server's usage of a session (the real route), placed on the transcript's turns: [turn index, total tokens, cost]. */
async function placedUsage(home: string, id: string, builder: TranscriptBuilder) {
  const app = await appFor(home, false);
  const usage = (await app.inject(`/conversations/${id}/usage`)).json() as ConversationUsage;
  const placed = usageByTurn(usage.turns, builder.usageMarks, (t) => builder.turnKey(t));
  const turns = builder.entries.filter((e): e is TurnEntry => e.kind === 'turn');
  return {
    usage,
    perTurn: turns.map((t) => [t.index, placed.get(t.key)?.totalTokens ?? null, placed.get(t.key)?.costUSD ?? null]),
    placedTotal: [...placed.values()].reduce((sum, t) => sum + t.totalTokens, 0),
  };
}

const kinds = (entries: Entry[]) =>
  entries.map((e) => (e.kind === 'message' ? `${e.role}:${e.text}` : e.kind === 'tool' ? `tool:${e.call.name}` : e.kind));

describe('TranscriptBuilder', () => {
  it('shows each message of the real 0.169 files once, with commands paired and every turn of the server\'s usage placed', async () => {
    const dir = join(REAL_HOME, 'sessions/2026/11/24');
    for (const name of await readdir(dir)) {
      const text = await readFile(join(dir, name), 'utf8');
      const records = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const builder = build(records as Line[]);
      const entries = builder.entries;
      const users = entries.filter((e) => e.kind === 'message' && e.role === 'user');
      const responseUsers = records.filter((r) => {
        const p = r.payload as Record<string, unknown>;
        return (
          r.type === 'response_item' &&
          p.type === 'message' &&
          p.role === 'user' &&
          !JSON.stringify(p.content).includes('<environment_context>')
        );
      });
      expect(users).toHaveLength(responseUsers.length);
      for (const tool of entries.filter((e): e is ToolEntry => e.kind === 'tool')) {
        expect(tool.output).not.toBeNull();
        expect(tool.exitCode).toBe(0);
      }
      // The server's turns (by turn id in these files) all land on a transcript turn.
      const { usage, placedTotal } = await placedUsage(REAL_HOME, name.slice(-42, -6), builder);
      expect(placedTotal).toBe(usage.totals.totalTokens);
    }
  });

  it('merges event and response-item twins, pairs calls with outputs, and places usage without turn ids by time', async () => {
    const spec = { stamp: '2025-10-05T09-00-00', id: uuidN(1), title: 'fix the add function' };
    const builder = build(richSessionLines(spec));
    expect(kinds(builder.entries)).toEqual([
      'context',
      'turn',
      'user:fix the add function',
      'reasoning',
      'tool:shell',
      'tool:apply_patch',
      'tool:update_plan',
      expect.stringMatching(/^assistant:Fixed it/),
      'turn',
      'user:thanks, now run the linter',
      'assistant:The linter is clean.',
    ]);
    const shell = builder.entries.find((e): e is ToolEntry => e.kind === 'tool' && e.call.name === 'shell') as ToolEntry;
    expect([shell.call.command, shell.exitCode, shell.seconds]).toEqual(['npm test', 1, 2.5]);
    const turns = builder.entries.filter((e): e is TurnEntry => e.kind === 'turn');
    expect(turns.map((t) => t.model)).toEqual(['gpt-5-codex', 'gpt-5-codex']);
    // The server counts three responses (a repeated total is none), none with a turn id: the first
    // two are turn 1 (2,630 tokens), the third turn 2 (520). gpt-5-codex: $1.25 / $0.125 / $10 per 1M.
    const home = await tempHome();
    await writeSession(home, spec, richSessionLines(spec));
    const { usage, perTurn } = await placedUsage(home, spec.id, builder);
    expect(usage.turns.map((t) => t.turnId)).toEqual([null, null, null]);
    expect(perTurn).toEqual([
      [1, 2630, expect.closeTo(0.003075, 9)],
      [2, 520, expect.closeTo(0.0004875, 9)],
    ]);
    // Every line of a merged pair leads to the same entry (a search hit on either opens it).
    const user = builder.entries.findIndex((e) => e.kind === 'message' && e.text === 'fix the add function');
    expect([builder.indexForLine(4), builder.indexForLine(5)]).toEqual([user, user]);
  });

  it('reads the record_type and legacy generations', () => {
    const summer = build(recordTypeLines({ stamp: '2025-07-01T10-00-00', id: uuidN(1), title: 'summer' }));
    expect(kinds(summer.entries)).toEqual(['context', 'turn', 'user:summer', 'assistant:done']);
    expect(summer.meta?.cwd).toBe('/home/u/rt');
    const spring = build(legacyLines({ stamp: '2025-04-01T10-00-00', id: uuidN(2), title: 'spring' }));
    expect(kinds(spring.entries)).toEqual(['context', 'turn', 'user:spring', 'assistant:hi']);
    expect(spring.meta?.branch).toBe('main');
  });

  it('creates an entry for a call seen only through its events, and marks calls left without a result when the turn ends', () => {
    const builder = build([
      { type: 'event_msg', payload: { type: 'task_started', turn_id: 't1' } },
      {
        type: 'event_msg',
        payload: { type: 'exec_command_end', call_id: 'c1', command: ['ls', '-la'], aggregated_output: 'a\n', exit_code: 0 },
      },
      { type: 'response_item', payload: { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"sleep 100"}', call_id: 'c2' } },
      { type: 'event_msg', payload: { type: 'turn_aborted', reason: 'interrupted' } },
    ]);
    const tools = builder.entries.filter((e): e is ToolEntry => e.kind === 'tool');
    expect(tools.map((t) => [t.call.command, t.output?.text ?? null, t.ended])).toEqual([
      ['ls -la', 'a\n', false],
      ['sleep 100', null, true],
    ]);
    expect(builder.entries.at(-1)).toMatchObject({ kind: 'notice', title: 'Turn aborted', text: 'interrupted' });
  });
});

describe('tool calls', () => {
  it('reads commands and outputs in the forms Codex wrote', () => {
    expect(commandText(['bash', '-lc', 'npm test'])).toBe('npm test');
    expect(commandText(['/bin/zsh', '-c', 'ls'])).toBe('ls');
    expect(commandText(['git', 'commit', '-m', "it's done"])).toBe(`git commit -m 'it'\\''s done'`);
    expect(toolOutputOf('{"output":"ok\\n","metadata":{"exit_code":2,"duration_seconds":0.5}}')).toEqual({
      text: 'ok\n',
      exitCode: 2,
      seconds: 0.5,
    });
    expect(
      toolOutputOf('Chunk ID: x\nWall time: 1.5 seconds\nProcess exited with code 3\nOriginal token count: 4\nOutput:\nboom\n'),
    ).toEqual({
      text: 'boom\n',
      exitCode: 3,
      seconds: 1.5,
    });
    expect(toolOutputOf([{ type: 'input_text', text: 'a' }, { type: 'input_image' }])).toEqual({
      text: 'a\n[image]',
      exitCode: null,
      seconds: null,
    });
    expect(toolOutputOf('plain text')).toEqual({ text: 'plain text', exitCode: null, seconds: null });
  });
});

describe('LineSplitter', () => {
  it('splits UTF-8 across chunk boundaries and tracks the offset past each complete line', () => {
    const bytes = new TextEncoder().encode('{"a":"é"}\n{"b":2}\n{"c":');
    const splitter = new LineSplitter();
    const lines = [...splitter.push(bytes.subarray(0, 7)), ...splitter.push(bytes.subarray(7, 15)), ...splitter.push(bytes.subarray(15))];
    expect(lines).toEqual([
      { text: '{"a":"é"}', end: 11 },
      { text: '{"b":2}', end: 19 },
    ]);
    expect(splitter.rest()).toBe('{"c":');
  });
});
