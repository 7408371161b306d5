// Claude Code lines → transcript items (src/rollout/transcript/claude-items.ts), over the real files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentOfRecord } from '../../../src/rollout/sources/line-agent.js';
import { claudeItems } from '../../../src/rollout/transcript/claude-items.js';

const DIR = join(import.meta.dirname, '../../fixtures/claude-home-real/projects/-home-dev-api-server');
const lines = (name: string) =>
  readFileSync(join(DIR, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('claudeItems', () => {
  it('reads the sub-agent session: prompt, thinking, text, the Agent call and its output', () => {
    const records = lines('06d6efa2-55a7-436d-8ca5-53285341e9bb.jsonl');
    expect(records.map(agentOfRecord).every((a) => a === 'claude')).toBe(true);
    const kinds = records.flatMap((r) => claudeItems(r, null)).map((i) => (i.kind === 'tool_call' ? `tool_call:${i.name}` : i.kind));
    expect(kinds.slice(0, 5)).toEqual(['message', 'reasoning', 'message', 'tool_call:Agent', 'tool_output']);
  });

  it('makes an API error a notice', () => {
    const items = lines('184cbaac-320a-4b57-8bd4-52915a25e2b7.jsonl').flatMap((r) => claudeItems(r, null));
    expect(items.find((i) => i.kind === 'notice')).toMatchObject({ text: expect.stringContaining('API Error: 529') });
  });
});
