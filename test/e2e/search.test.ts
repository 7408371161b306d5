// The Search view in Chromium (GET /search, SPEC §5, §8): the search box and its `/` key,
// highlights that are exactly the server's ranges, the scope and match options, and a hit that
// opens its session at the matching record.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { SearchPage } from '../../web/src/api/types.js';
import { tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';
import { exchangeLines, longSessionLines, richSessionLines, type Exchange } from './fixtures.js';

const FLAKY: [string, Exchange[]][] = [
  [
    '/home/dev/web-app',
    [
      {
        user: 'The login test is flaky on CI: it passes locally but fails one run in five. Find out why.',
        shell: ['npx playwright test login --repeat-each=20', '19 passed, 1 failed (flaky: login.spec.ts:42)'],
        assistant:
          'The flaky failure comes from a race between the session cookie and the redirect: the test clicks ' +
          '**Sign in** before the cookie is set. I added an explicit wait for the `/api/me` response.',
      },
    ],
  ],
  [
    '/home/dev/uploader',
    [
      {
        user: 'Uploads fail when the network drops for a second. Retry them with back-off.',
        assistant:
          'Added a retry with exponential back-off (3 attempts). The old code treated every error as final, which is ' +
          'why a flaky connection lost the whole upload.',
      },
    ],
  ],
  [
    '/home/dev/api-server',
    [
      {
        user: 'The nightly build is red again. Is it the flaky database test or something new?',
        shell: ['gh run view --log-failed', 'FAIL db/migrations.test.ts › applies 0042_add_index'],
        assistant: 'Something new: migration 0042 fails on an empty table. Not the flaky test this time.',
      },
    ],
  ],
];

/** Sessions for the screenshot and the highlight test: realistic prose, "flaky" in each. */
async function flakyHome(): Promise<string> {
  const home = await tempHome();
  for (const [i, [cwd, exchanges]] of FLAKY.entries()) {
    const spec = { stamp: `2025-10-0${i + 1}T09-30-00`, id: uuidN(20 + i), cwd };
    await writeSession(home, spec, exchangeLines(spec, exchanges));
  }
  return home;
}

const hits = (page: Page) => page.getByRole('list', { name: 'Search results' }).locator(':scope > li');
const hitTitles = (page: Page) => page.locator('.hits .hit-title').allTextContents();

/** Types a query in the top search box and submits it. */
async function search(page: Page, q: string): Promise<void> {
  await page.keyboard.press('/');
  await page.keyboard.type(q);
  await page.keyboard.press('Enter');
}

describeBrowser('the Search view', () => {
  const browser = useBrowser();

  it('`/` focuses the search box; Enter searches; each <mark> is exactly a range the server sent', async () => {
    const base = await serve(await flakyHome());
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(base);
    await page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().waitFor();
    await page.keyboard.press('/');
    const box = page.getByRole('searchbox', { name: 'Search all sessions' });
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('Flaky');
    await page.keyboard.press('Enter');
    await expect.poll(() => hits(page).count()).toBe(3);
    expect(page.url()).toContain('#/search?q=Flaky');
    // Newest first; a session's title is its first message.
    expect(await hitTitles(page)).toEqual(FLAKY.map(([, [first]]) => first?.user).reverse());

    // The same request the page made, straight to the API: each snippet's marks are its ranges' text.
    const api = (await (await fetch(`${base}search?q=Flaky&scope=messages&match=phrase&matches=3&limit=20`)).json()) as SearchPage;
    const expected = api.items.map((item) => item.matches.map((m) => m.ranges.map(([s, e]) => m.snippet.slice(s, e))));
    const shown = await hits(page).evaluateAll((items) =>
      items.map((li) => [...li.querySelectorAll('.snippet')].map((a) => [...a.querySelectorAll('mark')].map((m) => m.textContent))),
    );
    expect(shown).toEqual(expected);
    expect(expected.flat(2)).toEqual(['flaky', 'flaky', 'flaky', 'flaky', 'flaky']);
    // A snippet reads as the server's text: the marks sit inside it, nothing else is added.
    const snippets = await page.locator('.snippet .snippet-text').allTextContents();
    expect(snippets).toEqual(api.items.flatMap((item) => item.matches.map((m) => m.snippet)));
    await screenshot(page, 'search');
    // j and k move through the results (Esc leaves the search box first).
    await page.keyboard.press('Escape');
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? null);
    await page.keyboard.press('j');
    expect(await focused()).toBe(FLAKY[2]?.[1][0]?.user);
    await page.keyboard.press('j');
    expect(await focused()).toBe(FLAKY[1]?.[1][0]?.user);
    await page.keyboard.press('k');
    expect(await focused()).toBe(FLAKY[2]?.[1][0]?.user);
    expect(pageErrors).toEqual([]);
  });

  it('changes the results with the scope and match options', async () => {
    const home = await tempHome();
    const rich = { stamp: '2025-10-05T09-00-00', id: uuidN(7), title: 'fix the add function' };
    await writeSession(home, rich, richSessionLines(rich));
    await writeSession(home, { stamp: '2025-10-06T09-00-00', id: uuidN(8), title: 'another session' });
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.goto(base);
    await page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().waitFor();

    // The failing test's file name is only in a command's output: not a message.
    await search(page, 'add.test.ts');
    await page.getByText('No session contains “add.test.ts” in messages.').waitFor();
    await page.getByLabel('In', { exact: true }).selectOption('tools');
    await expect.poll(() => hitTitles(page)).toEqual(['fix the add function']);
    expect(await page.locator('.hits .snippet .chip').allTextContents()).toEqual(['Tool']);
    expect(page.url()).toContain('scope=tools');

    // "linter clean": not a phrase of any message, but both words are in the rich session.
    await page.getByLabel('In', { exact: true }).selectOption('messages');
    await page.getByRole('searchbox', { name: 'Search all sessions' }).fill('linter clean');
    await page.keyboard.press('Enter');
    await page.getByText('No session contains “linter clean” in messages.').waitFor();
    await page.getByLabel('Match', { exact: true }).selectOption('words');
    await expect.poll(() => hitTitles(page)).toEqual(['fix the add function']);
    expect(await page.locator('.hits mark').allTextContents()).toEqual(expect.arrayContaining(['linter']));
  });

  it('opens the session of a hit scrolled to that record', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-06T09-00-00', id: uuidN(9) };
    await writeSession(home, spec, longSessionLines(spec, 400));
    const base = await serve(home);
    const { page } = await watchedPage(browser);
    await page.goto(base);
    await page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().waitFor();
    await search(page, 'answer number 250');
    // Line 1 is the meta, line 2k the question k and 2k + 1 its answer: the hit is line 501.
    const snippet = page.getByRole('link', { name: 'Assistant record, line 501' });
    await snippet.click();
    await page.waitForURL(/#\/session\/[^?]+\?line=501$/);
    const target = page.locator('.slot.target');
    await expect.poll(() => target.textContent()).toContain('answer number 250');
    expect(await target.getAttribute('data-line')).toBe('501');
    await expect
      .poll(() =>
        target.evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= innerHeight && scrollY > 0;
        }),
      )
      .toBe(true);
    // Back to the results: the same search, still there.
    await page.goBack();
    await expect.poll(() => hitTitles(page)).toEqual(['question number 1']);
  });
});
