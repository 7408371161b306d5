import { open, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../../helper.js';
import { MemoryBudget } from '../../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../../../src/rollout/reading/session-reader.js';
import { recordChunks } from '../../../../src/rollout/reading/jsonl-lines.js';
import { fdSource } from '../../../../src/rollout/reading/byte-source.js';
import { classifyClaudePath, type ClaudeFile } from '../../../../src/rollout/sources/claude/discovery.js';
import { findClaudeHome } from '../../../../src/rollout/sources/claude/home.js';
import { readClaudeSessionFile } from '../../../../src/rollout/sources/claude/reader.js';
import { ClaudeSessionScanner, claudeRolloutFile } from '../../../../src/rollout/sources/claude/session-head.js';
import type { JsonRecord, RecordText } from '../../../../src/rollout/types.js';
import { allFiles, quietLog, realHome, tempClaudeHome, writeJsonl } from './claude-home.js';

const MiB = 1024 * 1024;
const typeOf = (t: RecordText) => (JSON.parse(t.bytes!.toString('utf8')) as JsonRecord).type;
const envFor = (realRoot: string): ReadEnv => ({ realRoot, limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(256 * MiB, 5_000) });

describe('reading the real home', () => {
  it('gives every session the summary the API serves', async () => {
    const home = await realHome();
    const rows: string[] = [];
    const where: Record<string, [string | null, string | null]> = {};
    for (const file of await allFiles(home)) {
      const read = (await readClaudeSessionFile(file, 0, 0, envFor(home.realHome), quietLog))!.read!;
      const s = read.summary;
      rows.push([s.id.slice(0, 8), s.createdAt, s.source, s.git?.branch ?? null, read.facts.model].join(' | '));
      where[s.id.slice(0, 8)] = [s.cwd, s.title];
      expect(s).toMatchObject({ modelProvider: 'anthropic', cliVersion: '2.1.197', archived: false, name: null, usage: null });
    }
    // id | createdAt (the first timestamp) | source (entrypoint) | git branch | model (the first assistant line's)
    expect(rows).toEqual([
      '06d6efa2 | 2026-12-06T03:22:30.073Z | cli | feature/health-check | claude-sonnet-4-5-20250929',
      '473acfeb | 2026-12-06T03:22:30.674Z | subagent | feature/health-check | claude-sonnet-4-5-20250929',
      '184cbaac | 2026-12-06T03:21:54.600Z | exec | feature/health-check | ', // the 529 error: no model
      '1c88eea7 | 2026-12-06T03:21:36.458Z | exec | feature/health-check | claude-opus-4-5-20251101',
      '3471cd50 | 2026-12-06T03:21:52.221Z | exec | feature/health-check | claude-sonnet-4-5-20250929',
      'bf2f8144 | 2026-12-06T03:21:46.853Z | exec | feature/health-check | claude-opus-4-5-20251101',
      '8080cc04 | 2026-12-06T03:21:47.422Z | subagent | feature/health-check | claude-opus-4-5-20251101',
      '501e2b5f | 2026-12-06T03:21:58.720Z | exec | HEAD | claude-opus-4-8',
      '630c32ab | 2026-12-06T03:21:57.342Z | exec | HEAD | claude-opus-4-8',
      '36760438 | 2026-12-06T03:21:27.735Z | exec | main | claude-sonnet-4-5-20250929',
      '5b0f19a8 | 2026-12-06T03:21:30.410Z | exec | main | claude-sonnet-4-5-20250929',
      'a1d78632 | 2026-12-06T03:21:25.987Z | exec | main | claude-sonnet-4-5-20250929',
    ]);
    // The encoded directory is lossy (`-home-dev-donn-es-caf-`): the cwd comes from the records.
    const title = 'Open docs/ARCHITECTURE.md — I think that file does not exist, can you check?';
    expect(where['501e2b5f']).toEqual(['/home/dev/données café', title]);
    expect(where['630c32ab']![1]).toBe('Écris un petit poème sur le café ☕ et traduis-le en 日本語 🚀');
    expect(where['473acfeb']![1]).toMatch(/^Search all source files in the current project for TODO and FIXME markers/);
    expect(where['184cbaac']).toEqual(['/home/dev/api-server', 'Summarize the recent changes in server.js.']);
  });

  it('links a sub-agent to its parent as a fork, with the Claude facts beside the summary', async () => {
    const home = await realHome();
    const agent = (await allFiles(home))[1]!;
    const read = (await readClaudeSessionFile(agent, 2, 1, envFor(home.realHome), quietLog))!.read!;
    expect(read.summary).toMatchObject({
      id: agent.id,
      path: agent.relPath,
      forkedFromId: '06d6efa2-55a7-436d-8ca5-53285341e9bb',
      modelProvider: 'anthropic',
      originator: 'cli',
      archived: false,
      usage: null,
      name: null,
    });
    expect(read.facts).toMatchObject({ agent: 'claude', parentId: '06d6efa2-55a7-436d-8ca5-53285341e9bb', agentId: 'a8e81a30845775904' });
    expect(read.head).toHaveLength(2);
    expect(read.tail).toHaveLength(1);
    const first = JSON.parse(read.head[0]!.bytes!.toString('utf8')) as JsonRecord;
    expect(first).toMatchObject({ type: 'user', isSidechain: true, agentId: 'a8e81a30845775904' });
  });

  it('the interactive session: mode lines first, last-prompt kept, ordering key from its start', async () => {
    const home = await realHome();
    const main = (await allFiles(home))[0]!;
    const read = (await readClaudeSessionFile(main, 3, 0, envFor(home.realHome), quietLog))!.read!;
    expect(read.facts.lastPrompt).toBeNull(); // the title bound was not passed: the head read stops at the title
    expect(read.head.map(typeOf)).toEqual(['mode', 'permission-mode', 'file-history-snapshot']);
    expect(claudeRolloutFile(main, read.summary.createdAt).key).toBe('2026-12-06T03-22-30|06d6efa2-55a7-436d-8ca5-53285341e9bb');
  });
});

const SID = '11111111-2222-4333-8444-555555555555';
const at = (s: number) => `2026-02-03T04:05:${String(s).padStart(2, '0')}.000Z`;
const user = (content: unknown, extra: JsonRecord = {}): JsonRecord => ({
  type: 'user',
  sessionId: SID,
  cwd: '/w',
  version: '2.0.0',
  gitBranch: 'main',
  entrypoint: 'cli',
  timestamp: at(1),
  message: { role: 'user', content },
  ...extra,
});

async function readWritten(lines: (JsonRecord | string)[], head = 0, tail = 0) {
  const dir = await tempClaudeHome();
  const rel = `projects/-w/${SID}.jsonl`;
  await writeJsonl(join(dir, rel), lines);
  const home = (await findClaudeHome(dir))!;
  const kind = classifyClaudePath(rel);
  if (kind?.kind !== 'session') throw new Error('not a session path');
  const file: ClaudeFile = { ...kind.file, absPath: join(dir, rel) };
  return { result: await readClaudeSessionFile(file, head, tail, envFor(home.realHome), quietLog), file, dir, home };
}

describe('titles and names', () => {
  it('skips command wrappers, caveats, meta records, compaction summaries and tool results', async () => {
    const { result } = await readWritten([
      { type: 'summary', summary: 'Old summary name', leafUuid: 'x' },
      user('<local-command-caveat>Caveat: The messages below were generated by the user while running local commands.', { isMeta: true }),
      user('<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args></command-args>'),
      user('<local-command-stdout>Set model to opus</local-command-stdout>'),
      user('This session is being continued from a previous conversation…', { isCompactSummary: true }),
      user([{ type: 'tool_result', tool_use_id: 't', content: 'output' }], { toolUseResult: { stdout: 'output' } }),
      user([{ type: 'text', text: '<system-reminder>x</system-reminder>' }, { type: 'text', text: '  fix the login bug  ' }]),
    ]);
    expect(result!.read!.summary.title).toBe('fix the login bug');
    // An old `summary` line at the top of the file names the session.
    expect(result!.read!.summary.name).toBe('Old summary name');
    expect(result!.read!.hasUserMessage).toBe(true);
  });

  it('a rename (custom-title) wins over ai-title, which wins over an old summary, the latest of each kind (whole file)', () => {
    const scanner = new ClaudeSessionScanner();
    const lines: JsonRecord[] = [
      { type: 'summary', summary: 'An old summary' },
      user('hello'),
      { type: 'ai-title', aiTitle: 'First AI title', sessionId: SID },
      { type: 'ai-title', aiTitle: 'Later AI title', sessionId: SID },
    ];
    const file: ClaudeFile = { id: SID, absPath: '/x', relPath: 'x', projectDir: '-w', parentId: null, agentId: null };
    const name = () => scanner.summary(file, { size: 0, mtimeMs: 0 }).summary.name;
    lines.forEach((l) => scanner.feed(l));
    expect(name()).toBe('Later AI title');
    scanner.feed({ type: 'custom-title', customTitle: 'Mine', sessionId: SID });
    scanner.feed({ type: 'ai-title', aiTitle: 'Even later AI title', sessionId: SID });
    scanner.feed({ type: 'summary', summary: 'Another old summary' });
    expect(name()).toBe('Mine');
    scanner.feed({ type: 'custom-title', customTitle: 'Mine, renamed', sessionId: SID });
    expect(name()).toBe('Mine, renamed');
  });

  it('a name after the head is read across the 64 KiB chunks it is read in; a title line over the hold bound is not parsed', async () => {
    const KiB = 1024;
    const answer = (i: number, text: string): JsonRecord => ({
      type: 'assistant',
      sessionId: SID,
      timestamp: '2026-01-01T00:00:01.000Z',
      requestId: `req_${i}`,
      message: { id: `msg_${i}`, model: 'claude-sonnet-4-5-20250929', role: 'assistant', content: [{ type: 'text', text }] },
    });
    const head = [JSON.stringify(user('the prompt')), JSON.stringify(answer(0, 'first answer'))];
    const fillers: string[] = [];
    const bytes = () => [...head, ...fillers].reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    // Fill up to 30 bytes before the first chunk's end: the title line then spans the two chunks.
    for (let i = 1; bytes() < 64 * KiB - 2 * KiB; i++) fillers.push(JSON.stringify(answer(i, `filler ${i} ${'x'.repeat(900)}`)));
    const gap = 64 * KiB - 30 - bytes();
    fillers.push(JSON.stringify({ type: 'mode', mode: 'normal', pad: 'p'.repeat(gap - 40) }));
    const padded = bytes();
    const title = JSON.stringify({ type: 'ai-title', aiTitle: 'Across the chunk', sessionId: SID });
    // A rename would win over it: it is over the 64 KiB hold bound, so it is not read.
    const huge = JSON.stringify({ type: 'custom-title', customTitle: 'z'.repeat(70 * KiB), sessionId: SID });
    const { result } = await readWritten([...head, ...fillers, title, huge, JSON.stringify(answer(99, 'last'))]);
    expect(padded).toBeLessThan(64 * KiB);
    expect(padded + title.length).toBeGreaterThan(64 * KiB);
    expect(result!.read!.summary.name).toBe('Across the chunk');
  });

  it('an image pasted alone is titled [Image]; a session of metadata only has no title and no user message', async () => {
    const image = await readWritten([user([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }])]);
    expect(image.result!.read!.summary.title).toBe('[Image]');
    const meta = await readWritten([{ type: 'ai-title', aiTitle: 'Only a title', sessionId: SID }, { type: 'mode', mode: 'normal' }]);
    expect(meta.result!.read!).toMatchObject({ hasUserMessage: false, summary: { title: null, name: 'Only a title' } });
  });
});

describe('hostile Claude files', () => {
  it('truncated, unknown, non-object and empty lines: skipped or carried, never fatal', async () => {
    const { result } = await readWritten(
      [
        '{"type":"user","message":{"role":"user","content":"trunc',
        '',
        '[1,2,3]',
        'not json',
        { type: 'from-the-future', payload: { anything: [1, 2] }, timestamp: at(0) },
        user('the real prompt'),
      ],
      3,
      2,
    );
    const read = result!.read!;
    expect(read.summary.title).toBe('the real prompt');
    // Unknown types are records like any other: carried through untouched.
    expect(read.head.map(typeOf)).toEqual(['from-the-future', 'user']);
    expect(read.summary.createdAt).toBe(at(0));
  });

  it('a last line still being written is left out; an empty file is not a transcript', async () => {
    const partial = await readWritten([user('first')]);
    const text = JSON.stringify(user('first')) + '\n{"type":"assistant","mess';
    await writeFile(join(partial.dir, `projects/-w/${SID}.jsonl`), text);
    const again = await readClaudeSessionFile(partial.file, 0, 5, envFor(partial.home.realHome), quietLog);
    expect(again!.read!.tail).toHaveLength(1);
    await truncate(partial.file.absPath, 0);
    const empty = await readClaudeSessionFile(partial.file, 0, 0, envFor(partial.home.realHome), quietLog);
    expect(empty!.read).toBeNull();
  });

  it('a 15 MiB line is never held: it is a range of the file; a prompt past the 1 MiB title bound is no title', async () => {
    const huge = user([{ type: 'tool_result', tool_use_id: 't', content: 'x'.repeat(15 * MiB) }]);
    const past = await readWritten([huge, user('after the big output')], 0, 0);
    expect(past.result!.read!.summary.title).toBeNull();
    const { result, file } = await readWritten([user('before the big output'), huge], 2, 1);
    const read = result!.read!;
    expect(read.summary.title).toBe('before the big output');
    const big = read.head[1] as RecordText;
    expect(big.bytes).toBeUndefined();
    expect(big.length).toBeGreaterThan(15 * MiB);
    // The range is the record's own text, read back from the file.
    const handle = await open(file.absPath);
    try {
      let n = 0;
      for await (const chunk of recordChunks(fdSource(handle.fd), big)) n += chunk.length;
      expect(n).toBe(big.length);
    } finally {
      await handle.close();
    }
  });

  it('a line over the 16 MiB limit is skipped, the rest is read', async () => {
    const over = JSON.stringify(user('y'.repeat(17 * MiB)));
    const { result } = await readWritten([user('the prompt'), over, { type: 'mode', mode: 'normal' }], 3);
    expect(result!.read!.summary.title).toBe('the prompt');
    expect(result!.read!.head.map(typeOf)).toEqual(['user', 'mode']);
  });

  it('hostile field values: a megabyte cwd is capped, non-string ids and versions are ignored', async () => {
    const { result } = await readWritten([user('hi', { cwd: 'c'.repeat(MiB), version: 7, gitBranch: { x: 1 }, sessionId: 3 })]);
    const s = result!.read!.summary;
    expect(s.cwd!.length).toBe(16 * 1024);
    expect(s.cliVersion).toBeNull();
    expect(s.git).toBeNull();
    expect(s.id).toBe(SID);
  });

  it('a FIFO or a link out of the home in place of a transcript reads as unreadable (null), without blocking', async () => {
    const { dir, home, file } = await readWritten([user('x')]);
    const { execFileSync } = await import('node:child_process');
    const fifo = join(dir, 'projects/-w/22222222-2222-4333-8444-555555555555.jsonl');
    execFileSync('mkfifo', [fifo]);
    const fifoFile = { ...file, absPath: fifo };
    expect(await readClaudeSessionFile(fifoFile, 0, 0, envFor(home.realHome), quietLog)).toBeNull();
  });

  it('a transcript that is a link out of the home reads as unreadable (null); a link inside it reads', async () => {
    const { dir, home, file } = await readWritten([user('inside')]);
    const outside = await tempHome();
    await writeJsonl(join(outside, `${SID}.jsonl`), [user('a secret from outside the home')]);
    const out = join(dir, 'projects/-w/33333333-3333-4333-8444-555555555555.jsonl');
    await symlink(join(outside, `${SID}.jsonl`), out);
    expect(await readClaudeSessionFile({ ...file, absPath: out }, 0, 0, envFor(home.realHome), quietLog)).toBeNull();
    const inside = join(dir, 'projects/-w/44444444-4444-4444-8444-555555555555.jsonl');
    await symlink(file.absPath, inside);
    const read = await readClaudeSessionFile({ ...file, absPath: inside }, 0, 0, envFor(home.realHome), quietLog);
    expect(read?.read?.summary.title).toBe('inside');
  });
});
