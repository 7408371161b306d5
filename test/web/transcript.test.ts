// The dashboard's transcript model (web/src/session/): records of every format generation →
// entries, with twins merged, tool calls paired, and token usage counted as SPEC §6 says.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TranscriptBuilder, type Entry, type ToolEntry, type TurnEntry } from '../../web/src/session/entries.js';
import { LineSplitter } from '../../web/src/session/ndjson.js';
import { commandText, toolOutputOf } from '../../web/src/session/tool-calls.js';
import { legacyLines, REAL_HOME, recordTypeLines, uuidN, type Line } from '../helper.js';
import { richSessionLines } from '../e2e/fixtures.js';

function build(lines: Line[]): TranscriptBuilder {
  const builder = new TranscriptBuilder();
  lines.forEach((line, i) => builder.add(typeof line === 'string' ? JSON.parse(line) : line, i + 1));
  return builder;
}

const kinds = (entries: Entry[]) =>
  entries.map((e) => (e.kind === 'message' ? `${e.role}:${e.text}` : e.kind === 'tool' ? `tool:${e.call.name}` : e.kind));

describe('TranscriptBuilder', () => {
  it('shows each message of the real 0.169 files once, with commands paired and usage from the usage records', async () => {
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
      // Usage: the sum of the file's token_usage_record lines, whatever its token_count events say.
      const expected = records
        .filter((r) => r.type === 'token_usage_record')
        .reduce(
          (sum, r) =>
            sum +
            ((r.payload as { usage: { input_tokens: number; output_tokens: number } }).usage.input_tokens +
              (r.payload as { usage: { output_tokens: number } }).usage.output_tokens),
          0,
        );
      expect(builder.totals()?.totalTokens ?? 0).toBe(expected);
    }
  });

  it('merges event and response-item twins, pairs calls with outputs, and counts a repeated token total once', () => {
    const builder = build(richSessionLines({ stamp: '2025-10-05T09-00-00', id: uuidN(1), title: 'fix the add function' }));
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
    expect(turns.map((t) => [t.model, t.usage?.inputTokens, t.usage?.outputTokens])).toEqual([
      ['gpt-5-codex', 2500, 130],
      ['gpt-5-codex', 500, 20],
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

  it('restarts the count when a token total goes down, from last_token_usage', () => {
    const usage = (total: number[], last: number[]) => ({
      type: 'event_msg',
      timestamp: 't',
      payload: {
        type: 'token_count',
        info: {
          total_token_usage: { input_tokens: total[0], output_tokens: total[1] },
          last_token_usage: { input_tokens: last[0], output_tokens: last[1] },
        },
      },
    });
    const builder = build([
      { type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q' }] } },
      usage([100, 10], [100, 10]),
      usage([150, 20], [50, 10]),
      usage([30, 5], [30, 5]),
    ]);
    expect(builder.totals()).toMatchObject({ inputTokens: 180, outputTokens: 25, totalTokens: 205 });
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
