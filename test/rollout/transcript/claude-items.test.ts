// Claude Code lines → transcript items (src/rollout/transcript/claude-items.ts), over the real files.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentOfRecord } from '../../../src/rollout/sources/line-agent.js';
import { claudeItems, claudeLine } from '../../../src/rollout/transcript/claude-items.js';
import { HtmlRenderer } from '../../../src/rollout/transcript/html.js';
import { MarkdownRenderer } from '../../../src/rollout/transcript/markdown.js';
import { NO_REDACTION } from '../../../src/rollout/transcript/redact.js';
import { DEFAULT_TRANSCRIPT_OPTIONS } from '../../../src/rollout/transcript/render.js';
import { START } from '../../../src/rollout/transcript/transcript.js';

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

  it("gives the export the conversation only: attachments and unknown records are the dashboard's detail", () => {
    const records = lines('06d6efa2-55a7-436d-8ca5-53285341e9bb.jsonl');
    const attachment = records.find((r) => r.type === 'attachment') as Record<string, unknown>;
    expect(claudeLine(attachment, null).items.map((i) => i.kind)).toEqual(['context']);
    expect(claudeItems(attachment, null)).toEqual([]);
    const unknown = { type: 'brand-new', sessionId: 'x' };
    expect(claudeLine(unknown, null).items).toMatchObject([{ kind: 'unknown', label: 'brand-new record' }]);
    expect(claudeItems(unknown, null)).toEqual([]);
  });

  it('imports nothing of Node, directly or not: the dashboard bundles it', () => {
    const src = join(import.meta.dirname, '../../../src/rollout');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import\s[^;]*?from\s+'([^']+)'/gm)) {
        const target = spec as string;
        if (!target.startsWith('.')) {
          expect(target, file).toBe('uuid');
          continue;
        }
        visit(resolve(dirname(file), target.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(src, 'transcript/claude-items.ts'));
    expect(seen.size).toBeGreaterThan(3);
  });

  it('names the file of Read, Write and Edit in the export (the call has no command to show)', () => {
    const web = join(DIR, '../-home-dev-web-app/5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13.jsonl');
    const records = readFileSync(web, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = records.flatMap((r) => claudeItems(r, null)).filter((i) => i.kind === 'tool_call');
    const read = calls.find((i) => i.kind === 'tool_call' && i.name === 'Read');
    expect(read).toMatchObject({ target: '/home/dev/web-app/src/utils/format.js', input: null, command: null });
    const placed = { item: read!, turn: 2, startsTurn: false, line: 1, toolName: null, next: START };
    const md = new MarkdownRenderer(DEFAULT_TRANSCRIPT_OPTIONS, NO_REDACTION).item(placed);
    expect(md).toContain('**Tool call** `Read` on `/home/dev/web-app/src/utils/format.js`');
    const hostile = { ...placed, item: { ...read!, target: '<b>x</b>' } };
    const html = new HtmlRenderer(DEFAULT_TRANSCRIPT_OPTIONS, NO_REDACTION).item(hostile);
    expect(html).toContain('on <code>&lt;b&gt;x&lt;/b&gt;</code>');
  });
});
