// With a token configured (SPEC §3, §8): the page asks for it once, keeps it in this tab's
// sessionStorage, sends it only as `Authorization: Bearer`, and never puts it in a URL.
import { expect, it } from 'vitest';
import { tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage } from './browser.js';

const TOKEN = 'dashboard-test-token-0123456789';

describeBrowser('the token prompt', () => {
  const browser = useBrowser();

  it('asks once, retries with the token, keeps it for the tab only, and never puts it in a URL', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-10-01T10-00-00', id: uuidN(1), title: 'a protected session' });
    const base = await serve(home, { token: TOKEN });
    const { page, pageErrors } = await watchedPage(browser);
    const requests: { url: string; auth: string | undefined }[] = [];
    page.on('request', (r) => requests.push({ url: r.url(), auth: r.headers().authorization }));
    await page.goto(base);

    const dialog = page.getByRole('dialog', { name: 'Access token' });
    await dialog.waitFor();
    await screenshot(page, 'token-prompt');
    const field = dialog.getByLabel('Token');
    await field.fill('wrong-token-wrong-token');
    await field.press('Enter');
    await dialog.getByRole('alert').filter({ hasText: 'did not accept' }).waitFor();
    await field.fill(TOKEN);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await page
      .getByRole('list', { name: 'Sessions' })
      .getByRole('link', { name: /a protected session/ })
      .waitFor();
    expect(await dialog.isVisible()).toBe(false);

    expect(await page.evaluate(() => sessionStorage.getItem('codex-sessions.token'))).toBe(TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(requests.every((r) => !r.url.includes(TOKEN))).toBe(true);
    expect(page.url()).not.toContain(TOKEN);
    const api = requests.filter((r) => r.url.startsWith(`${base}conversations`));
    expect(api.some((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);

    // A reload in the same tab asks no more; opening a session uses the token too.
    await page.reload();
    await page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: 'a protected session' }).waitFor();
    expect(await dialog.isVisible()).toBe(false);
    // The raw download fetches with the header: the token is not in the blob URL either.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download NDJSON' }).click()]);
    expect(download.url()).toMatch(/^blob:/);
    expect(download.url()).not.toContain(TOKEN);
    expect(pageErrors).toEqual([]);
  });

  it('asks again in another tab, whose storage is its own', async () => {
    const home = await tempHome();
    const base = await serve(home, { token: TOKEN });
    const first = await watchedPage(browser);
    await first.page.goto(base);
    await first.page.getByRole('dialog', { name: 'Access token' }).getByLabel('Token').fill(TOKEN);
    await first.page.getByRole('button', { name: 'Continue' }).click();
    await first.page.getByText('No sessions yet.').waitFor();
    const second = await watchedPage(browser);
    await second.page.goto(base);
    await second.page.getByRole('dialog', { name: 'Access token' }).waitFor();
  });
});
