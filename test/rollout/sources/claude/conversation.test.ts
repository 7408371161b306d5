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
});
