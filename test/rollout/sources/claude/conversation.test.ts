import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RolloutError } from '../../../../src/rollout/errors.js';
import { MemoryBudget } from '../../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../../../src/rollout/reading/session-reader.js';
import { openClaudeConversation, readClaudeContent } from '../../../../src/rollout/sources/claude/conversation.js';
import { classifyClaudePath, type ClaudeFile } from '../../../../src/rollout/sources/claude/discovery.js';
import { findClaudeHome } from '../../../../src/rollout/sources/claude/home.js';
import type { JsonRecord } from '../../../../src/rollout/types.js';
import { allFiles, quietLog, realHome, tempClaudeHome, writeJsonl } from './claude-home.js';

const envFor = (realRoot: string): ReadEnv => ({
  realRoot,
  limits: DEFAULT_READ_LIMITS,
  budget: new MemoryBudget(64 * 1024 * 1024, 5_000),
});

describe('opening a Claude session', () => {
  it('gives every record of the file as its own bytes, with the summary and facts', async () => {
    const home = await realHome();
    const file = (await allFiles(home))[0]!;
    const conversation = await openClaudeConversation(file, envFor(home.realHome), quietLog);
    try {
      const texts: string[] = [];
      for await (const event of conversation.records()) {
        if (event.kind !== 'record') throw new Error('no invalid line expected');
        let text = '';
        for await (const chunk of conversation.textOf(event.text)) text += chunk.toString('utf8');
        texts.push(text);
      }
      expect(texts).toEqual((await readFile(file.absPath, 'utf8')).trimEnd().split('\n'));
      expect(conversation.summary).toMatchObject({ id: file.id, title: 'Use a sub-agent to find all the TODO comments in the codebase.' });
      expect(conversation.facts).toMatchObject({ agent: 'claude', model: 'claude-sonnet-4-5-20250929' });
      expect(conversation.file.key).toBe(`2026-12-06T03-22-30|${file.id}`);
    } finally {
      await conversation.close();
    }
  });

  it('a missing file is NotFound', async () => {
    const dir = await tempClaudeHome();
    const rel = 'projects/-w/11111111-2222-4333-8444-555555555555.jsonl';
    await writeJsonl(join(dir, rel), [{ type: 'mode', mode: 'normal' }]);
    const home = (await findClaudeHome(dir))!;
    const kind = classifyClaudePath(rel);
    if (kind?.kind !== 'session') throw new Error('not a session path');
    const file: ClaudeFile = { ...kind.file, absPath: join(dir, rel) };
    await rm(file.absPath);
    await expect(openClaudeConversation(file, envFor(home.realHome), quietLog)).rejects.toSatisfy(
      (err: unknown) => err instanceof RolloutError && err.kind === 'NotFound',
    );
  });
});

describe('one pass over a whole file', () => {
  it('finds a name written after the first answer, counts usage, and extracts the docs with their line numbers', async () => {
    const dir = await tempClaudeHome();
    const rel = 'projects/-w/11111111-2222-4333-8444-555555555555.jsonl';
    const at = '2026-03-04T05:06:07.000Z';
    const usage = { input_tokens: 3, cache_creation_input_tokens: 10, cache_read_input_tokens: 20, output_tokens: 5 };
    const answer = (text: string): JsonRecord => ({
      type: 'assistant',
      timestamp: at,
      requestId: 'req_1',
      message: { id: 'msg_1', model: 'claude-haiku-4-5-20251001', content: [{ type: 'text', text }], usage },
    });
    await writeJsonl(join(dir, rel), [
      { type: 'user', timestamp: at, promptId: 'p1', message: { role: 'user', content: 'rename the helper' } },
      answer('Renaming.'),
      answer('Done.'),
      { type: 'ai-title', aiTitle: 'Rename the helper', sessionId: '11111111-2222-4333-8444-555555555555' },
    ]);
    const home = (await findClaudeHome(dir))!;
    const kind = classifyClaudePath(rel);
    if (kind?.kind !== 'session') throw new Error('not a session path');
    const file: ClaudeFile = { ...kind.file, absPath: join(dir, rel) };
    const content = await readClaudeContent(file, envFor(home.realHome));
    expect(content.scanner.summary(file, { size: 0, mtimeMs: 0 }).summary.name).toBe('Rename the helper');
    const responses = content.responses.map((r) => [r.lineNo, r.model, r.turnId, r.totalTokens]);
    expect(responses).toEqual([[2, 'claude-haiku-4-5-20251001', 'p1', 38]]);
    expect(content.docs.map((d) => [d.line, d.role, d.text])).toEqual([
      [1, 'user', 'rename the helper'],
      [2, 'assistant', 'Renaming.'],
      [3, 'assistant', 'Done.'],
    ]);
    expect(content.counter.seen).toHaveLength(1);
  });

  it('a session that was compacted and resumed: one title, the compaction summary not searched, every response counted once', async () => {
    const dir = await tempClaudeHome();
    const id = '11111111-2222-4333-8444-555555555555';
    const rel = `projects/-w/${id}.jsonl`;
    const t = (s: number) => `2026-03-04T05:06:${String(s).padStart(2, '0')}.000Z`;
    const base = { sessionId: id, cwd: '/w', version: '2.1.197', entrypoint: 'cli', gitBranch: 'main' };
    const usage = (out: number) => ({ input_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: out });
    const answer = (s: number, n: number): JsonRecord => ({
      ...base,
      type: 'assistant',
      timestamp: t(s),
      requestId: `req_${n}`,
      message: { id: `msg_${n}`, model: 'claude-opus-4-8', content: [{ type: 'text', text: `answer ${n}` }], usage: usage(n) },
    });
    const user = (s: number, content: unknown, extra: JsonRecord = {}): JsonRecord => ({
      ...base,
      type: 'user',
      timestamp: t(s),
      message: { role: 'user', content },
      ...extra,
    });
    await writeJsonl(join(dir, rel), [
      user(1, 'first question', { promptId: 'p1' }),
      answer(2, 1),
      { type: 'ai-title', aiTitle: 'First question', sessionId: id },
      user(3, '<command-name>/compact</command-name>\n<command-message>compact</command-message>\n<command-args></command-args>'),
      { ...base, type: 'system', subtype: 'compact_boundary', timestamp: t(4), compactMetadata: { trigger: 'manual', preTokens: 5000 } },
      user(5, 'This session is being continued from a previous conversation. Summary: first question…', { isCompactSummary: true }),
      // `--continue` appends to the same file, with the same session id.
      user(6, 'second question', { promptId: 'p2' }),
      answer(7, 2),
      answer(8, 2),
      {
        ...answer(9, 3),
        isApiErrorMessage: true,
        message: { id: 'msg_e', model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 529' }], usage: usage(0) },
      },
    ]);
    const home = (await findClaudeHome(dir))!;
    const kind = classifyClaudePath(rel);
    if (kind?.kind !== 'session') throw new Error('not a session path');
    const file: ClaudeFile = { ...kind.file, absPath: join(dir, rel) };
    const content = await readClaudeContent(file, envFor(home.realHome));
    const { summary, facts } = content.scanner.summary(file, { size: 0, mtimeMs: 0 });
    expect(summary).toMatchObject({ title: 'first question', name: 'First question', source: 'cli', createdAt: t(1) });
    expect(facts.models).toEqual(['claude-opus-4-8']);
    expect(content.responses.map((r) => [r.lineNo, r.turnId, r.outputTokens])).toEqual([
      [2, 'p1', 1],
      [8, 'p2', 2],
    ]);
    expect(content.docs.filter((d) => d.role === 'user').map((d) => d.text)).toEqual(['first question', 'second question']);
    expect(content.docs.some((d) => d.text.includes('continued from a previous conversation'))).toBe(false);
    expect(content.docs.filter((d) => d.role === 'assistant').map((d) => d.line)).toEqual([2, 8, 9, 10]);
  });
});
