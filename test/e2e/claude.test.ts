// Claude Code transcripts in Chromium (docs/dashboard.md, "Claude Code transcripts"): the real
// files written by Claude Code 2.1.197 and constructed ones (compaction, an unknown type), served
// by the server's Claude source (--claude-home) and read by the page from their NDJSON bytes; the
// last test serves both real homes as a user does: the list, the badges and the session's facts.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { subagentSessionId } from '../../src/rollout/sources/claude/subagent-id.js';
import { REAL_HOME, tempHome } from '../helper.js';
import { describeBrowser, screenshot, SCREENSHOTS, serve, useBrowser, watchedPage } from './browser.js';

const CLAUDE_REAL = join(import.meta.dirname, '../fixtures/claude-home-real');

/** The real Claude home, plus constructed sessions (id → file text) in a project of their own; its URL served alone. */
async function serveClaude(extra: Record<string, string> = {}): Promise<string> {
  const claudeHome = await tempHome();
  await cp(CLAUDE_REAL, claudeHome, { recursive: true });
  await mkdir(join(claudeHome, 'projects/-w'), { recursive: true });
  for (const [id, text] of Object.entries(extra)) await writeFile(join(claudeHome, 'projects/-w', `${id}.jsonl`), text);
  return serve(await tempHome(), { claudeHome, agents: ['claude'] });
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
    const base = await serveClaude();
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
    await screenshot(page, 'session-claude-open-thinking');
    expect(pageErrors).toEqual([]);
  });

  it("links an Agent call to the sub-agent's session, which opens", async () => {
    const parent = '06d6efa2-55a7-436d-8ca5-53285341e9bb';
    const child = subagentSessionId(parent, 'a8e81a30845775904');
    const base = await serveClaude();
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
    const base = await serveClaude({ [compacted]: text });
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

  it('shows no agent badge on the rows when the server serves one agent', async () => {
    const base = await serveClaude();
    const { page, pageErrors } = await watchedPage(browser);
    const readyz = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/readyz'));
    await page.goto(base);
    const rows = page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => rows.count()).toBe(12);
    expect((await readyz).status()).toBe(200);
    await page.evaluate(() => new Promise(requestAnimationFrame));
    expect(await rows.locator('.badge.agent').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('lists Claude sessions with their badge beside Codex ones, and opens one with its facts, resume command and sub-agent', async () => {
    const codexHome = await tempHome();
    await cp(REAL_HOME, codexHome, { recursive: true });
    const claudeHome = await tempHome();
    await cp(CLAUDE_REAL, claudeHome, { recursive: true });
    const base = await serve(codexHome, { claudeHome, agents: ['codex', 'claude'] });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    const rows = page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => rows.count()).toBeGreaterThan(12);
    // The fixtures' Claude sessions (10 and 2 sub-agents) are newer than every Codex one. Badges
    // show once /readyz has said that both agents are served.
    await expect.poll(() => rows.locator('.badge.agent').count()).toBe(await rows.count());
    const badges = await rows.locator('.badge.agent').allTextContents();
    expect(badges.slice(0, 12)).toEqual(Array(12).fill('Claude'));
    expect(new Set(badges.slice(12))).toEqual(new Set(['Codex']));
    await page.setViewportSize({ width: 1100, height: 800 });
    await screenshot(page, 'sessions-claude');

    const id = '5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13';
    await rows.filter({ hasText: 'Create a file src/utils/format.js' }).click();
    await page.locator(`[data-session="${id}"] [aria-label="Transcript"][aria-busy="false"]`).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Create a file src\/utils\/format\.js/);
    const fact = (label: string) => page.locator('.fact').filter({ has: page.locator('dt', { hasText: label }) }).locator('dd');
    expect(await fact('Agent').textContent()).toBe('Claude');
    expect(await fact('Provider').textContent()).toBe('anthropic');
    expect(await fact('CLI').textContent()).toBe('2.1.197');
    expect(await fact('Branch').textContent()).toBe('main');
    expect(await page.locator('code.resume').textContent()).toBe(`claude --resume ${id}`);
    expect(await tool(page, 'Edit').getByRole('figure').count()).toBe(1);
    await page.setViewportSize({ width: 1100, height: 1500 });
    await screenshot(page, 'session-claude');
    // The transcript alone (docs/screenshots/session-claude.png is a copy).
    const box = await page.getByLabel('Transcript').boundingBox();
    await mkdir(SCREENSHOTS, { recursive: true });
    const clip = { x: 0, y: (box?.y ?? 0) + 2, width: 1100, height: 1100 };
    await page.screenshot({ path: join(SCREENSHOTS, 'session-claude-transcript.png'), clip, fullPage: true });

    const parent = '06d6efa2-55a7-436d-8ca5-53285341e9bb';
    const child = subagentSessionId(parent, 'a8e81a30845775904');
    await open(page, base, parent);
    await tool(page, 'Agent').getByRole('link', { name: 'a8e81a30845775904' }).click();
    await page.locator(`[data-session="${child}"] [aria-label="Transcript"][aria-busy="false"]`).waitFor();
    expect(await fact('Sub-agent of').textContent()).toBe(parent.slice(0, 8));
    expect(await page.locator('code.resume').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
