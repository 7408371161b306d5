// The dashboard of a team server in a real Chromium, beyond team-dashboard.test.ts (docs/dashboard.md,
// "Team mode"): the search page's machine filter, and a list row's live cost asked for on its own
// machine (`?machine=`: an id on two machines is a 409 by id alone). Homes pushed by the real
// agent into a real PostgreSQL; the built dashboard (dist/web).
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { usd } from '../../web/src/format.js';
import { sharedByTests } from '../helper.js';
import { tokenCount, turnContext, u, v7At } from '../usage-lines.js';
import { describeBrowser, screenshot, useBrowser, watchedPage } from '../e2e/browser.js';
import { describePg } from './pg.js';
import { jsonl } from './pushed-homes.js';
import { pushOnce } from './pushed-index-helper.js';
import { pushedTeam, teamGet } from './team-read-helper.js';

/** The forked session of the generated home: one file, on bob and on carol. */
const FORK = v7At('2025-03-03T10:00:00Z', 3);
const FORK_FILE = `sessions/2025/03/03/rollout-2025-03-03T10-00-00-${FORK}.jsonl`;

const hitBadges = (page: Page) => page.locator('.hits .badge.machine').allInnerTexts();

describePg('team mode: the dashboard, search and live costs', () => {
  describeBrowser('machines', () => {
    const browser = useBrowser();
    // One pushed team for both (each is three pushes and an index to the end): the first only reads,
    // and the second's push appends usage records (no search document) to bob's copy of one session.
    const pushed = sharedByTests(pushedTeam, 120_000);

    it('filters search results by machine', async () => {
      const { team, read } = pushed();
      const { page, pageErrors } = await watchedPage(browser);
      await page.addInitScript((token) => sessionStorage.setItem('codex-sessions.token', token), read);
      const all = (await teamGet(team, '/search?q=test&limit=100', read)).json().items as { machine: string }[];
      expect(new Set(all.map((i) => i.machine))).toEqual(new Set(['alice', 'bob', 'carol']));
      await page.goto(`${team.base}/#/search?q=test`);
      await expect.poll(() => hitBadges(page)).toEqual(all.map((i) => i.machine));

      // Every machine of /readyz; choosing one narrows the results (the server's filter) and the URL.
      const filter = page.getByLabel('Machine');
      expect(await filter.locator('option').allInnerTexts()).toEqual(['every machine', 'alice', 'bob', 'carol']);
      await filter.selectOption('carol');
      await expect.poll(() => page.evaluate(() => location.hash)).toContain('machine=carol');
      const carol = (await teamGet(team, '/search?q=test&limit=100&machine=carol', read)).json().items as unknown[];
      expect(carol.length).toBeGreaterThan(0);
      expect(carol.length).toBeLessThan(all.length);
      await expect.poll(() => hitBadges(page)).toEqual(carol.map(() => 'carol'));
      await screenshot(page, 'team-search');

      // A link with the filter opens filtered; "every machine" takes it out of the URL.
      await page.goto(`${team.base}/#/search?q=test&machine=bob`);
      await expect.poll(async () => new Set(await hitBadges(page))).toEqual(new Set(['bob']));
      await page.getByLabel('Machine').selectOption('');
      await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('machine=');
      await expect.poll(() => hitBadges(page)).toEqual(all.map((i) => i.machine));
      expect(pageErrors).toEqual([]);
    });

    it("refreshes a live row's cost on its own machine, for an id on two machines", async () => {
      const { team, read, homes } = pushed();
      const { page, pageErrors } = await watchedPage(browser);
      await page.addInitScript((token) => sessionStorage.setItem('codex-sessions.token', token), read);
      await page.goto(`${team.base}/#/`);
      const rowOf = (machine: string) => page.locator('.rows li').filter({ hasText: 'forked test' }).filter({ hasText: machine });
      await rowOf('bob').waitFor();
      await rowOf('carol').waitFor();
      await page.locator('.live-dot').waitFor();
      const carolBefore = await rowOf('carol').innerText();

      // bob's copy goes on: its row's cost is asked for on bob (by id alone the server answers 409).
      const usageAsked = page.waitForResponse((r) => r.url().includes(`/conversations/${FORK}/usage`));
      const used = u(100_000, 0, 50_000, 0);
      const more = jsonl([turnContext('2025-03-03T10:30:00Z', 'gpt-5'), tokenCount('2025-03-03T10:30:00Z', used, used)]);
      await appendFile(join(homes.bob!, FORK_FILE), more);
      await pushOnce(team, await team.token('push', 'bob'), homes.bob!);
      const answer = await usageAsked;
      expect(new URL(answer.url()).searchParams.get('machine')).toBe('bob');
      expect(answer.status()).toBe(200);
      const cost = (await answer.json()).totals.costUSD as number;
      const expected = (await teamGet(team, `/conversations/${FORK}/usage?machine=bob`, read)).json().totals.costUSD as number;
      expect(cost).toBe(expected);
      const byIdAlone = await teamGet(team, `/conversations/${FORK}/usage`, read);
      expect(byIdAlone.status).toBe(409);
      expect(byIdAlone.json().code).toBe('AMBIGUOUS_ID');
      // The row shows the new cost; carol's copy is untouched.
      await expect.poll(() => rowOf('bob').innerText()).toContain(usd(cost));
      expect(await rowOf('carol').innerText()).toBe(carolBefore);
      expect(pageErrors).toEqual([]);
    });
  });
});
