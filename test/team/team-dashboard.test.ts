// The dashboard of a team server in a real Chromium (docs/dashboard.md, "Team mode"): machines on
// list rows and the session page, the machine filter, `?machine=` when a session opens, the choice
// between machines for an id on two, and the Usage page by machine; none of it over one home.
// Homes pushed by the real agent into a real PostgreSQL; the built dashboard (dist/web).
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { REAL_HOME } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from '../e2e/browser.js';
import { describePg } from './pg.js';
import { pushedTeam, teamGet } from './team-read-helper.js';

const B = v7At('2025-03-02T10:00:00Z', 2);

const rowsOf = (page: Page) => page.getByRole('list', { name: 'Sessions' }).getByRole('link');
const badges = (page: Page) => page.locator('.rows .badge.machine').allInnerTexts();

describePg('team mode: the dashboard', () => {
  describeBrowser('machines', () => {
    const browser = useBrowser();

    it('shows and filters by machine, opens a session on its machine, offers the choice for an id on two', async () => {
      const { team, read } = await pushedTeam();
      const listed = (await teamGet(team, '/conversations?limit=100', read)).json().items as { machine: string }[];
      const { page, pageErrors } = await watchedPage(browser);
      await page.addInitScript((token) => sessionStorage.setItem('codex-sessions.token', token), read);
      await page.goto(`${team.base}/`);
      await expect.poll(() => rowsOf(page).count()).toBe(listed.length);
      await expect.poll(async () => new Set(await badges(page))).toEqual(new Set(['alice', 'bob', 'carol']));
      expect(await badges(page)).toEqual(listed.map((i) => i.machine));

      // The machine filter: every machine of /readyz; choosing one narrows the list and the URL.
      const filter = page.getByLabel('Machine');
      expect(await filter.locator('option').allInnerTexts()).toEqual(['any', 'alice', 'bob', 'carol']);
      await filter.selectOption('bob');
      await expect.poll(() => page.evaluate(() => location.hash)).toContain('machine=bob');
      const bob = (await teamGet(team, '/conversations?limit=100&machine=bob', read)).json().items as unknown[];
      await expect.poll(() => badges(page)).toEqual(bob.map(() => 'bob'));

      // Oldest first, archived too: the sessions on two machines side by side (the docs' picture).
      await page.goto(`${team.base}/#/?archived=all&order=asc`);
      await expect.poll(async () => (await badges(page)).slice(0, 4)).toEqual(['bob', 'carol', 'bob', 'carol']);
      // docs/screenshots/team-list.png is a copy.
      await screenshot(page, 'team-list');

      // A row opens its own machine's copy: carol's name, carol in the header, ?machine= in the link.
      await page.getByLabel('Machine').selectOption('carol');
      await expect.poll(async () => new Set(await badges(page))).toEqual(new Set(['carol']));
      await rowsOf(page).filter({ hasText: 'renamed on carol' }).click();
      await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/session/${B}?machine=carol`);
      await page.getByRole('heading', { name: 'renamed on carol', level: 1 }).waitFor();
      await expect.poll(() => page.locator('.session-head .badge.machine').innerText()).toBe('carol');
      await screenshot(page, 'team-session');

      // The id alone (a link from elsewhere): the server's 409 names both machines, and the page offers them.
      await page.goto(`${team.base}/#/session/${B}`);
      const choice = page.getByRole('alert').filter({ hasText: 'This session is on 2 machines' });
      await choice.waitFor();
      expect(await choice.getByRole('link').allInnerTexts()).toEqual(['bob', 'carol']);
      await choice.getByRole('link', { name: 'bob' }).click();
      await page.getByRole('heading', { name: 'renamed', exact: true, level: 1 }).waitFor();
      await expect.poll(() => page.locator('.session-head .badge.machine').innerText()).toBe('bob');

      // Usage: grouped by machine, and filtered by one.
      await page.goto(`${team.base}/#/usage?range=all&group=machine`);
      const groups = () => page.locator('table.usage-table tbody th').allInnerTexts();
      await expect.poll(groups).toEqual(['alice', 'bob', 'carol']);
      await page.getByLabel('Machine').selectOption('alice');
      await expect.poll(() => page.evaluate(() => location.hash)).toContain('machine=alice');
      await expect.poll(groups).toEqual(['alice']);
      expect(pageErrors).toEqual([]);
    });

    it('shows no machine anywhere on a single machine', async () => {
      const base = await serve(REAL_HOME);
      const { page, pageErrors } = await watchedPage(browser);
      await page.goto(base);
      await expect.poll(() => rowsOf(page).count()).toBeGreaterThan(3);
      // Readiness has answered (the agent badges' question): still no machine filter nor badge.
      await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/readyz')));
      expect(await page.getByLabel('Machine').count()).toBe(0);
      expect(await page.locator('.badge.machine').count()).toBe(0);
      await rowsOf(page).first().click();
      await page.locator('.session-head .facts').waitFor();
      expect(await page.locator('.badge.machine').count()).toBe(0);
      await page.goto(`${base}#/usage?range=all`);
      await page.getByLabel('Group by').waitFor();
      expect(await page.getByLabel('Group by').locator('option').allInnerTexts()).not.toContain('Machine');
      expect(await page.getByLabel('Machine').count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });
});
