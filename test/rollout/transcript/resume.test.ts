import { describe, expect, it } from 'vitest';
import { HtmlRenderer } from '../../../src/rollout/transcript/html.js';
import { MarkdownRenderer } from '../../../src/rollout/transcript/markdown.js';
import { NO_REDACTION } from '../../../src/rollout/transcript/redact.js';
import { DEFAULT_TRANSCRIPT_OPTIONS } from '../../../src/rollout/transcript/render.js';
import type { SessionSummary } from '../../../src/rollout/types.js';

const ID = '5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13';
const base: SessionSummary = {
  id: ID, path: `projects/-home-dev/${ID}.jsonl`, createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-02T03:04:05.000Z',
  sizeBytes: 10, title: 't', name: null, cwd: null, source: 'cli', originator: null, cliVersion: null, modelProvider: 'anthropic',
  git: null, forkedFromId: null, archived: false, usage: null,
};
const renderers = [
  new MarkdownRenderer(DEFAULT_TRANSCRIPT_OPTIONS, NO_REDACTION),
  new HtmlRenderer(DEFAULT_TRANSCRIPT_OPTIONS, NO_REDACTION),
];
const head = (summary: SessionSummary) => renderers.map((r) => r.begin({ summary, models: [], totals: null }));

describe("an export's resume command is the session's agent's", () => {
  it('says `codex resume` for a Codex session (agent absent or codex)', () => {
    for (const text of [...head(base), ...head({ ...base, agent: 'codex' })]) {
      expect(text).toContain(`codex resume ${ID}`);
      expect(text).not.toContain('claude --resume');
    }
  });

  it('says `claude --resume` for a Claude session', () => {
    for (const text of head({ ...base, agent: 'claude' })) {
      expect(text).toContain(`claude --resume ${ID}`);
      expect(text).not.toContain('codex resume');
    }
  });

  it('offers none for a Claude sub-agent, which Claude Code cannot resume on its own', () => {
    for (const text of head({ ...base, agent: 'claude', source: 'subagent', forkedFromId: ID })) {
      expect(text).not.toMatch(/resume/i);
    }
  });
});
