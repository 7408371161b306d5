// Live updates in Chromium (GET /events and GET /conversations/:id/events, SPEC §7, §8): the
// list and an open session change as the files do, without a reload and without polling.
import { appendFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { bytes } from '../../web/src/format.js';
import { envelopeLines, rolloutRelPath, stampToIso, tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';
import { spendingLines, type Spend } from './fixtures.js';

const rows = (page: Page) => page.getByRole('list', { name: 'Sessions' }).getByRole('link');
const rowTitles = (page: Page) => rows(page).locator('.title').allTextContents();

/** Set in the page once it is open: still there later means the page was never reloaded. */
const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));
const sameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __same?: boolean }).__same === true);

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const message = (ts: string, role: 'user' | 'assistant', text: string) => ({
  timestamp: ts,
  type: 'response_item',
  payload: { type: 'message', role, content: [{ type: role === 'user' ? 'input_text' : 'output_text', text }] },
});
const tokenCount = (ts: string, input: number, output: number) => ({
  timestamp: ts,
  type: 'event_msg',
  payload: {
    type: 'token_count',
    info: {
      total_token_usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_output_tokens: 0 },
      last_token_usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_output_tokens: 0 },
      model_context_window: 272000,
    },
  },
});

describeBrowser('live updates', () => {
  const browser = useBrowser();

  it('the list shows sessions created, appended to, renamed, archived and removed while it is open', async () => {
    const home = await tempHome();
    const first = { stamp: '2025-10-01T09-00-00', id: uuidN(1), title: 'first session' };
    const firstPath = join(home, await writeSession(home, first));
    const base = await serve(home);
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    await expect.poll(() => rowTitles(page)).toEqual(['first session']);
    await page.locator('.view-head .live-dot').filter({ hasText: 'live' }).waitFor();
    await markDocument(page);

    // Created: a new day directory and a new file.
    const second = { stamp: '2025-10-02T09-00-00', id: uuidN(2), title: 'second session' };
    const secondPath = join(home, await writeSession(home, second));
    await expect.poll(() => rowTitles(page)).toEqual(['second session', 'first session']);

    // Appended to: the row's size follows the file.
    await appendFile(secondPath, line(message(stampToIso(second.stamp), 'assistant', 'one more line, and a long one '.repeat(20))));
    const grown = bytes((await stat(secondPath)).size);
    const secondRow = rows(page).filter({ hasText: 'second session' });
    await expect.poll(() => secondRow.locator('.c-size').textContent()).toBe(grown);

    // Renamed: a user-set name in session_index.jsonl.
    const name = { id: second.id, thread_name: 'the renamed one', updated_at: '2025-10-02T10:00:00Z' };
    await writeFile(join(home, 'session_index.jsonl'), line(name));
    await expect.poll(() => secondRow.locator('.name').textContent()).toBe('the renamed one');
    await screenshot(page, 'live-list');

    // Archived: Codex moves the file; the list of active sessions drops it.
    await mkdir(join(home, 'archived_sessions'), { recursive: true });
    await rename(secondPath, join(home, rolloutRelPath(second.stamp, second.id, true)));
    await expect.poll(() => rowTitles(page)).toEqual(['first session']);

    // Removed.
    await rm(firstPath);
    await expect.poll(() => rowTitles(page)).toEqual([]);
    await page.getByText('No sessions yet.').waitFor();
    expect(await sameDocument(page)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("a listed session's cost follows its new lines, never \"not counted yet\" meanwhile (issue 17, item 16)", async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-01T09-00-00', id: uuidN(4), title: 'a costly live session' };
    const at = (s: number) => new Date(Date.parse(stampToIso(spec.stamp)) + s * 1000).toISOString();
    // gpt-5-codex: 1.25 in / 10 out per 1M. First response $2.25; the appended one $0.45 more.
    const first: Spend = { at: at(10), model: 'gpt-5-codex', input: 1_000_000, output: 100_000 };
    const second: Spend = { at: at(70), model: 'gpt-5-codex', input: 200_000, output: 20_000 };
    const before = spendingLines(spec, [first]);
    const path = join(home, await writeSession(home, spec, before));
    const base = await serve(home, {}, { index: true });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    const cost = rows(page).filter({ hasText: 'a costly live session' }).locator('.c-cost');
    await expect.poll(() => cost.textContent()).toBe('$2.25');
    await page.locator('.view-head .live-dot').filter({ hasText: 'live' }).waitFor();
    await markDocument(page);
    // Every text the cell shows from now on.
    await cost.evaluate((el) => {
      const w = window as unknown as { __costs: string[] };
      w.__costs = [];
      new MutationObserver(() => w.__costs.push(el.textContent ?? '')).observe(el.parentElement as Element, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });

    await appendFile(path, spendingLines(spec, [first, second]).slice(before.length).map(line).join(''));
    await expect.poll(() => cost.textContent()).toBe('$2.70');
    expect(await cost.getAttribute('title')).toBe('1,320,000 tokens; estimated cost');
    const shown = await page.evaluate(() => (window as unknown as { __costs: string[] }).__costs);
    expect(shown.filter((t) => t !== '$2.25' && t !== '$2.70')).toEqual([]);
    expect(await sameDocument(page)).toBe(true);
    // What a reload shows: the same count.
    await page.reload();
    await expect.poll(() => cost.textContent()).toBe('$2.70');
    expect(pageErrors).toEqual([]);
  });

  it('an open session shows appended lines and their usage, starts over when truncated, and ends when archived', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-01T09-00-00', id: uuidN(3), title: 'a live session' };
    const rel = await writeSession(home, spec);
    const path = join(home, rel);
    const base = await serve(home);
    const { page, pageErrors } = await watchedPage(browser);
    const usageRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/usage')) usageRequests.push(r.url());
    });
    await page.goto(`${base}#/session/${spec.id}`);
    await page.getByRole('article', { name: 'User message' }).filter({ hasText: 'a live session' }).waitFor();
    await page.locator('.live-dot').filter({ hasText: 'following' }).waitFor();
    await markDocument(page);
    const at = (s: number) => new Date(Date.parse(stampToIso(spec.stamp)) + s * 1000).toISOString();

    // Appended lines appear; a usage line brings the turn's usage (counted by the server).
    await appendFile(path, line(message(at(60), 'user', 'and now the second question')));
    const second = page.getByRole('article', { name: 'User message' }).filter({ hasText: 'and now the second question' });
    await second.waitFor();
    await appendFile(path, line(message(at(61), 'assistant', 'the **second** answer')) + line(tokenCount(at(62), 1200, 34)));
    await page.getByRole('article', { name: 'Assistant message' }).locator('strong').filter({ hasText: 'second' }).waitFor();
    const turn2 = page.getByRole('heading', { level: 2, name: /Turn 2/ });
    await expect.poll(() => turn2.locator('.turn-usage').getAttribute('title')).toBe('input 1,200 (cached 0) · output 34 (reasoning 0)');
    // One request when the transcript loaded, one for the usage line: no polling.
    expect(usageRequests).toHaveLength(2);
    await screenshot(page, 'live-session');

    // Truncated (rewritten shorter): the transcript starts over from the file as it is now.
    // The page then reloads the session and follows it again: wait for that new stream, or an
    // archive made before it opens is simply followed where it went (a race, seen under load).
    const refollowed = page.waitForResponse((r) => r.url().includes(`/conversations/${spec.id}/events`));
    await writeFile(path, envelopeLines({ ...spec, title: 'started over' }).map(line).join(''));
    await page.getByRole('article', { name: 'User message' }).filter({ hasText: 'started over' }).waitFor();
    await expect.poll(() => second.count()).toBe(0);
    expect(await page.getByRole('heading', { level: 2, name: /Turn 2/ }).count()).toBe(0);
    await refollowed;

    // Archived: the follow ends, and the header says where the session went.
    await mkdir(join(home, 'archived_sessions'), { recursive: true });
    await rename(path, join(home, rolloutRelPath(spec.stamp, spec.id, true)));
    await page.locator('.live-dot').filter({ hasText: 'ended: archived' }).waitFor();
    await page.locator('.fact').filter({ hasText: 'Archived' }).waitFor();
    expect(await sameDocument(page)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
