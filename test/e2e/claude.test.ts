// Claude Code transcripts in Chromium (docs/dashboard.md, "Claude Code transcripts"): the real
// files written by Claude Code 2.1.197, read by the page from the NDJSON bytes the server sends.
// The page tells the agent from the lines, so any route that serves a file's bytes will do: the
// files are served here from a Codex home under rollout names (the Codex source serves any
// file's bytes by the id in its name), which tests the page apart from the server's Claude source.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { subagentSessionId } from '../../src/rollout/sources/claude/subagent-id.js';
import { tempHome } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';

const CLAUDE_HOME = join(import.meta.dirname, '../fixtures/claude-home-real/projects');
const DAY_DIR = 'sessions/2026/12/06';

/** A Codex home holding these Claude files (path under projects/ → session id), each under a rollout name. */
async function homeWith(files: Record<string, string>, extra: Record<string, string> = {}): Promise<string> {
  const home = await tempHome();
  await mkdir(join(home, DAY_DIR), { recursive: true });
  const name = (id: string) => join(home, DAY_DIR, `rollout-2026-12-06T03-21-30-${id}.jsonl`);
  for (const [rel, id] of Object.entries(files)) await copyFile(join(CLAUDE_HOME, rel), name(id));
  for (const [id, text] of Object.entries(extra)) await writeFile(name(id), text);
  return home;
}

async function open(page: Page, base: string, id: string): Promise<void> {
  await page.goto(`${base}#/session/${id}`);
  await page.locator(`[data-session="${id}"] [aria-label="Transcript"][aria-busy="false"]`).waitFor();
}

const tool = (page: Page, name: string) => page.getByRole('region', { name: `Tool call ${name}` });

describeBrowser('Claude Code transcripts', () => {
  const browser = useBrowser();

  it('shows a --continue session: prompts, folded thinking, Write and Edit as diffs, Read, Bash, two turns', async () => {
    const id = '5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13';
    const base = await serve(await homeWith({ [`-home-dev-web-app/${id}.jsonl`]: id }));
    const { page, pageErrors } = await watchedPage(browser);
    await open(page, base, id);
    const users = page.getByRole('article', { name: 'User message' });
    expect(await users.allTextContents()).toEqual([
      expect.stringContaining('Create a file src/utils/format.js with a formatDate helper'),
      expect.stringContaining('Now rename formatDate to formatIsoDate'),
    ]);
    const turns = page.getByRole('heading', { level: 2 });
    expect(await turns.count()).toBe(2);
    for (const turn of await turns.all()) expect(await turn.locator('.chip').textContent()).toBe('claude-sonnet-4-5-20250929');
    // Thinking is there, folded: its text is not shown until opened.
    const thinking = page.locator('details.thinking');
    expect(await thinking.count()).toBe(6);
    expect(await thinking.first().getAttribute('open')).toBeNull();
    expect(await thinking.first().locator('.md').isVisible()).toBe(false);
    await thinking.first().locator('summary').click();
    expect(await thinking.first().locator('.md').isVisible()).toBe(true);

    const file = '/home/dev/web-app/src/utils/format.js';
    expect(await tool(page, 'Write').locator('.cmd').textContent()).toBe(file);
    expect(await tool(page, 'Write').getByRole('figure', { name: `Patch to ${file}` }).locator('.d-add').first().textContent()).toBe(
      '+// Date helpers\n',
    );
    expect(await tool(page, 'Write').locator('.status').textContent()).toBe('done');
    expect(await tool(page, 'Read').locator('.cmd').textContent()).toBe(file);
    expect(await tool(page, 'Read').locator('pre.term').textContent()).toContain('2\texport function formatDate(d) {');
    const edit = tool(page, 'Edit').getByRole('figure', { name: `Patch to ${file}` });
    expect(await edit.locator('.d-del').allTextContents()).toEqual(['-export function formatDate(d) {\n']);
    expect(await edit.locator('.d-add').allTextContents()).toEqual(['+export function formatIsoDate(d) {\n']);
    const bash = tool(page, 'Bash');
    expect(await bash.locator('.cmd').textContent()).toBe("grep -rn 'formatDate' src || echo 'no other references'");
    expect(await bash.locator('pre.term').textContent()).toBe('no other references');
    // What Claude Code attached is folded context, labelled.
    expect(await page.locator('details.context summary .label').allTextContents()).toEqual([
      'attachment: agent_listing_delta',
      'attachment: skill_listing',
    ]);
    await page.setViewportSize({ width: 1100, height: 1500 });
    await screenshot(page, 'session-claude');
    expect(pageErrors).toEqual([]);
  });

  it("links an Agent call to the sub-agent's session, which opens", async () => {
    const parent = '06d6efa2-55a7-436d-8ca5-53285341e9bb';
    const child = subagentSessionId(parent, 'a8e81a30845775904');
    const base = await serve(
      await homeWith({
        [`-home-dev-api-server/${parent}.jsonl`]: parent,
        [`-home-dev-api-server/${parent}/subagents/agent-a8e81a30845775904.jsonl`]: child,
      }),
    );
    const { page, pageErrors } = await watchedPage(browser);
    await open(page, base, parent);
    const agent = tool(page, 'Agent');
    expect(await agent.locator('.cmd').textContent()).toBe('Find TODO comments (general-purpose)');
    expect(await agent.locator('pre.term').textContent()).toContain('server.js:5:// TODO');
    await screenshot(page, 'session-claude-agent');
    await agent.getByRole('link', { name: 'a8e81a30845775904' }).click();
    await page.locator(`[data-session="${child}"] [aria-label="Transcript"][aria-busy="false"]`).waitFor();
    expect(await page.getByRole('article', { name: 'User message' }).first().textContent()).toContain('Search all source files');
    expect(await tool(page, 'Bash').locator('.status').textContent()).toBe('done');
    expect(pageErrors).toEqual([]);
  });

  it('shows an API error, and a compaction with its summary folded', async () => {
    const failed = '184cbaac-320a-4b57-8bd4-52915a25e2b7';
    const compacted = 'c0ffee00-0000-4000-8000-00000000c0de';
    const base0 = { sessionId: compacted, cwd: '/w', version: '2.1.197', gitBranch: 'main', isSidechain: false };
    const at = (s: number) => ({ ...base0, timestamp: `2026-12-06T10:00:0${s}Z` });
    const lines = [
      { ...at(1), type: 'user', uuid: 'u1', message: { role: 'user', content: 'hello' } },
      { ...at(2), type: 'system', subtype: 'compact_boundary', compactMetadata: { trigger: 'manual', preTokens: 45210 } },
      { ...at(3), type: 'user', uuid: 'u2', isCompactSummary: true, message: { role: 'user', content: 'Summary: we said hello.' } },
      { ...at(4), type: 'brand-new-thing' },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const base = await serve(await homeWith({ [`-home-dev-api-server/${failed}.jsonl`]: failed }, { [compacted]: text }));
    const { page, pageErrors } = await watchedPage(browser);
    await open(page, base, failed);
    const error = page.getByRole('note').filter({ hasText: 'API error' });
    expect(await error.textContent()).toContain('API Error: 529 Overloaded');
    expect(await error.getAttribute('class')).toContain('notice-error');
    await open(page, base, compacted);
    expect(await page.getByRole('note').textContent()).toBe('The conversation was compacted here (manual, 45,210 tokens before).');
    const labels = await page.locator('details.context summary .label').allTextContents();
    expect(labels).toEqual(['compaction summary', 'brand-new-thing record']);
    expect(await page.locator('details.context.unknown summary').textContent()).toContain('a type this page does not know');
    expect(pageErrors).toEqual([]);
  });
});
