// Export and sharing in Chromium (SPEC §11): the session view's Export Markdown, Export HTML and
// Copy link buttons (fetched with the token header), and the exported HTML of a hostile session,
// opened as a file, runs nothing and loads nothing.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { REAL_HOME, tempHome, uuidN, writeSession } from '../helper.js';
import { describeBrowser, serve, useBrowser, watchedPage } from './browser.js';
import { hostileSessionLines } from './fixtures.js';

const REAL_ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const TOKEN = 'export-test-token-0123456789';

describeBrowser('export from the session view', () => {
  const browser = useBrowser();

  it('exports Markdown and HTML with the token, and copies a link to the session', async () => {
    const base = await serve(REAL_HOME, { token: TOKEN });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base.replace(/\/$/, '') });
    const { page, pageErrors } = await watchedPage(browser);
    await page.goto(`${base}#/session/${REAL_ID}`);
    const dialog = page.getByRole('dialog', { name: 'Access token' });
    await dialog.getByLabel('Token').fill(TOKEN);
    await dialog.getByLabel('Token').press('Enter');
    await page.locator(`[data-session="${REAL_ID}"] [aria-label="Transcript"][aria-busy="false"]`).waitFor();

    const [md] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Markdown' }).click()]);
    expect(md.suggestedFilename()).toBe(`codex-session-${REAL_ID}.md`);
    const markdown = await readFile((await md.path()) as string, 'utf8');
    expect(markdown).toMatch(/^# run the linter and list files \(#1\)\n/);
    expect(markdown).toContain('(0 secrets redacted)');

    const [html] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export HTML' }).click()]);
    expect(html.suggestedFilename()).toBe(`codex-session-${REAL_ID}.html`);
    expect(await readFile((await html.path()) as string, 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*Mock reply #4: done\./);

    await page.getByRole('button', { name: 'Copy a link to this session' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${base}#/session/${REAL_ID}`);
    expect(pageErrors).toEqual([]);
  });

  it('makes an HTML export of a hostile session that runs nothing and loads nothing when opened', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-05T09-00-00', id: uuidN(66), title: 'hostile' };
    await writeSession(home, spec, hostileSessionLines(spec));
    const base = await serve(home);
    const res = await fetch(`${base}conversations/${spec.id}/export?format=html&redact=false`);
    expect(res.status).toBe(200);
    const file = join(await tempHome(), 'hostile.html');
    await writeFile(file, await res.text());

    const { page, pageErrors, dialogs, cspViolations } = await watchedPage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.getByRole('heading', { level: 1 }).waitFor();
    // Hover and click everything a payload could hang a handler on.
    for (const el of await page.locator('article, pre, aside, code').all()) {
      await el.hover();
      await el.click();
    }
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(await cspViolations()).toEqual([]);
    expect(await page.locator('script, img, iframe, a[href], object, embed, svg').count()).toBe(0);
    expect(await page.getByText('window.__pwned').count()).toBeGreaterThan(0);
  });
});
