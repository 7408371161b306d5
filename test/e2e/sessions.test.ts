// The Sessions view in Chromium: the list, its filters, infinite scroll, keyboard and roles.
import { cp } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { REAL_HOME, tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';
import { spendingLines } from './fixtures.js';

const rowsOf = (page: Page) => page.getByRole('list', { name: 'Sessions' }).getByRole('link');

async function rowTitles(page: Page): Promise<string[]> {
  return page.locator('.rows .c-title .title').allTextContents();
}

/** Waits until the list shows `n` rows (and no page is still loading). */
async function expectRows(page: Page, n: number): Promise<void> {
  await expect.poll(() => rowsOf(page).count()).toBe(n);
}

describeBrowser('the Sessions view', () => {
  const browser = useBrowser();

  it('lists the real 0.169 sessions with title, project, branch, age and size; opening one shows it', async () => {
    const home = await tempHome();
    await cp(REAL_HOME, home, { recursive: true });
    const base = await serve(home);
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    await expectRows(page, 23);
    const first = rowsOf(page).first();
    expect(await first.locator('.title').textContent()).toBe('forked: try another approach');
    expect(await first.locator('.c-project').textContent()).toBe('proj-a');
    expect(await first.locator('.c-project').getAttribute('title')).toBe('/home/dev/proj-a');
    expect(await first.locator('.c-branch').textContent()).toBe('feature/x');
    expect(await first.locator('.c-source').textContent()).toBe('exec');
    expect(await first.locator('.c-size').textContent()).toBe('30 KB');
    expect(await first.locator('.c-age').textContent()).not.toBe('');
    // Without an index the server has not counted usage (usage: null): "—", never a made-up $0.
    expect(await first.locator('.c-cost').textContent()).toBe('—');
    expect(await first.locator('.c-cost').getAttribute('title')).toBe('not counted yet');
    await screenshot(page, 'sessions');
    await rowsOf(page).filter({ hasText: 'run the linter and list files (#1)' }).click();
    await page.getByRole('heading', { level: 1, name: 'run the linter and list files (#1)' }).waitFor();
    expect(page.url()).toContain('#/session/01a20b7c-dbe8-70c2-9828-678afb8f6bf7');
    expect(pageErrors).toEqual([]);
  });

  it('pages through 130 sessions by infinite scroll, in order, without duplicates', async () => {
    const home = await tempHome();
    for (let i = 0; i < 130; i += 1) {
      const minute = String(i % 60).padStart(2, '0');
      const hour = String(10 + Math.floor(i / 60)).padStart(2, '0');
      await writeSession(home, {
        stamp: `2025-10-01T${hour}-${minute}-00`,
        id: uuidN(i + 1),
        title: `session ${String(i).padStart(3, '0')}`,
      });
    }
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.goto(base);
    await expectRows(page, 50);
    // Each scroll to the bottom brings at least one more page, until the end.
    for (let shown = 50; shown < 130; ) {
      await rowsOf(page).last().scrollIntoViewIfNeeded();
      const before = shown;
      await expect.poll(async () => (shown = await rowsOf(page).count())).toBeGreaterThan(before);
      expect(shown % 50 === 0 || shown === 130).toBe(true);
    }
    const titles = await rowTitles(page);
    expect(titles).toEqual(Array.from({ length: 130 }, (_, i) => `session ${String(129 - i).padStart(3, '0')}`));
    await page.getByText('130 shown').waitFor();
  });

  it('filters by title, project, source, provider, dates and archive state, and sorts by update time', async () => {
    const home = await tempHome();
    const old = new Date('2025-09-01T00:00:00Z');
    await writeSession(home, {
      stamp: '2025-09-01T08-00-00',
      id: uuidN(1),
      title: 'alpha task',
      cwd: '/w/alpha',
      source: 'cli',
      mtime: new Date('2025-12-01T00:00:00Z'),
    });
    await writeSession(home, {
      stamp: '2025-09-02T08-00-00',
      id: uuidN(2),
      title: 'beta task',
      cwd: '/w/beta',
      source: 'exec',
      provider: 'azure',
      mtime: old,
    });
    await writeSession(home, {
      stamp: '2025-09-03T08-00-00',
      id: uuidN(3),
      title: 'gamma chore',
      cwd: '/w/beta',
      source: 'vscode',
      mtime: old,
    });
    await writeSession(home, {
      stamp: '2025-09-04T08-00-00',
      id: uuidN(4),
      title: 'delta archived',
      cwd: '/w/alpha',
      archived: true,
      mtime: old,
    });
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.goto(base);
    await expectRows(page, 3);
    expect(await rowTitles(page)).toEqual(['gamma chore', 'beta task', 'alpha task']);

    const set = async (label: string, value: string) => {
      const control = page.getByLabel(label, { exact: true });
      if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(value);
      else {
        await control.fill(value);
        await control.press('Enter');
        await control.blur();
      }
    };
    await set('Title', 'task');
    await expect.poll(() => rowTitles(page)).toEqual(['beta task', 'alpha task']);
    await set('Title', '');
    await set('Project', '/w/beta');
    await expect.poll(() => rowTitles(page)).toEqual(['gamma chore', 'beta task']);
    await set('Source', 'exec');
    await expect.poll(() => rowTitles(page)).toEqual(['beta task']);
    expect(page.url()).toContain('cwd=%2Fw%2Fbeta');
    expect(page.url()).toContain('source=exec');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rowTitles(page)).toEqual(['gamma chore', 'beta task', 'alpha task']);
    await set('Provider', 'azure');
    await expect.poll(() => rowTitles(page)).toEqual(['beta task']);
    await set('Provider', '');
    await set('From', '2025-09-02');
    await set('To', '2025-09-02');
    await expect.poll(() => rowTitles(page)).toEqual(['beta task']);
    await page.getByRole('button', { name: 'Clear' }).click();
    await set('Archived', 'true');
    await expect.poll(() => rowTitles(page)).toEqual(['delta archived']);
    await set('Archived', 'all');
    await expect.poll(() => rowTitles(page)).toEqual(['delta archived', 'gamma chore', 'beta task', 'alpha task']);
    await set('Archived', 'false');
    await set('Sort', 'updated');
    await expect.poll(() => rowTitles(page)).toEqual(['alpha task', 'gamma chore', 'beta task']);
    await set('Order', 'asc');
    await expect.poll(() => rowTitles(page)).toEqual(['beta task', 'gamma chore', 'alpha task']);
    // The filters are in the URL: a reload shows the same list.
    await page.reload();
    await expect.poll(() => rowTitles(page)).toEqual(['beta task', 'gamma chore', 'alpha task']);
    expect(await page.getByLabel('Sort', { exact: true }).inputValue()).toBe('updated');
    // The project picker offers the projects seen.
    const options = await page.locator('#project-options option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toEqual(expect.arrayContaining(['/w/alpha', '/w/beta']));
  });

  it('keeps a project being typed when the title applies meanwhile, then applies both', async () => {
    const home = await tempHome();
    const sessions: [string, string][] = [['alpha task', '/w/alpha'], ['beta task', '/w/beta'], ['gamma chore', '/w/beta']];
    for (const [i, [title, cwd]] of sessions.entries()) {
      await writeSession(home, { stamp: `2025-09-0${i + 1}T08-00-00`, id: uuidN(i + 1), title, cwd });
    }
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.goto(base);
    await expectRows(page, 3);
    // The title applies after a pause; the project only on Enter. Typed in between, the project
    // is still there when the title's new list renders (a controlled input showed '' again).
    await page.getByLabel('Title', { exact: true }).fill('task');
    const project = page.getByLabel('Project', { exact: true });
    await project.fill('/w/beta');
    await page.waitForURL(/q=task/);
    await expect.poll(() => rowTitles(page)).toEqual(['beta task', 'alpha task']);
    expect(await project.inputValue()).toBe('/w/beta');
    await project.press('Enter');
    await expect.poll(() => rowTitles(page)).toEqual(['beta task']);
    expect(page.url()).toContain('cwd=%2Fw%2Fbeta');
  });

  it('offers in the project picker every project that spent tokens (GET /usage?groupBy=cwd), also beyond the loaded pages', async () => {
    const home = await tempHome();
    const old = { stamp: '2025-08-01T08-00-00', id: uuidN(500), title: 'old work', cwd: '/w/old-project' };
    await writeSession(home, old, spendingLines(old, [{ at: '2025-08-01T08:01:00.000Z', model: 'o3', input: 1000, output: 100 }]));
    for (let i = 0; i < 60; i += 1) {
      const stamp = `2025-10-01T10-${String(i).padStart(2, '0')}-00`;
      await writeSession(home, { stamp, id: uuidN(i + 1), title: `recent ${i}`, cwd: '/w/recent' });
    }
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/usage') asked.push(new URL(r.url()).search);
    });
    await page.goto(base);
    await expectRows(page, 50);
    const options = () =>
      page.locator('#project-options option').evaluateAll((els) => els.map((e) => [e.getAttribute('value'), e.getAttribute('label')]));
    await expect.poll(options).toEqual([
      ['/w/old-project', 'old-project'],
      ['/w/recent', 'recent'],
    ]);
    expect(asked).toContain('?groupBy=cwd');
    // The old project's one session is not on the page the list has loaded: the picker knows it from GET /usage.
    expect(await rowTitles(page)).not.toContain('old work');
    const picker = page.getByLabel('Project', { exact: true });
    expect(await picker.getAttribute('list')).toBe('project-options');
    await picker.fill('/w/old-project');
    await picker.press('Enter');
    await expect.poll(() => rowTitles(page)).toEqual(['old work']);
    expect(page.url()).toContain('cwd=%2Fw%2Fold-project');
  });

  it("asks GET /usage for the pickers only once the list's first page is in (they must not delay it)", async () => {
    const home = await tempHome();
    for (let i = 1; i <= 3; i += 1) await writeSession(home, { stamp: `2025-10-0${i}T08-00-00`, id: uuidN(i), title: `row ${i}` });
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    const events: string[] = [];
    page.on('request', (r) => events.push(`asked ${new URL(r.url()).pathname}`));
    page.on('requestfinished', (r) => events.push(`answered ${new URL(r.url()).pathname}`));
    await page.goto(base);
    await expectRows(page, 3);
    await expect.poll(() => events.filter((e) => e === 'answered /usage').length).toBe(2);
    const firstUsage = events.indexOf('asked /usage');
    const listAnswered = events.indexOf('answered /conversations');
    expect(listAnswered, events.join(', ')).toBeGreaterThanOrEqual(0);
    expect(firstUsage, events.join(', ')).toBeGreaterThan(listAnswered);
  });

  it('has roles and labels, `/` focuses the search box, j and k move through the rows', async () => {
    const home = await tempHome();
    for (let i = 1; i <= 3; i += 1) await writeSession(home, { stamp: `2025-10-0${i}T08-00-00`, id: uuidN(i), title: `row ${i}` });
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.goto(base);
    await expectRows(page, 3);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).waitFor();
    await page.getByRole('search', { name: 'Filter sessions' }).waitFor();
    const box = page.getByRole('searchbox', { name: 'Search all sessions' });
    await page.keyboard.press('/');
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    const focusedTitle = () => page.evaluate(() => document.activeElement?.querySelector('.title')?.textContent ?? null);
    await page.keyboard.press('j');
    expect(await focusedTitle()).toBe('row 3');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await focusedTitle()).toBe('row 1');
    await page.keyboard.press('k');
    expect(await focusedTitle()).toBe('row 2');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'row 2' }).waitFor();
  });

  it('looks right in the dark too', async () => {
    const home = await tempHome();
    await cp(REAL_HOME, home, { recursive: true });
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(base);
    await expectRows(page, 23);
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe('rgb(13, 17, 23)');
    await screenshot(page, 'sessions-dark');
  });
});
