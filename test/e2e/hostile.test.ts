// Session content is hostile input (SPEC §8): a session whose title, name, project path, model,
// messages, reasoning, command, output and patch all try to run script. Nothing may run, in
// the list, the transcript, search snippets or the Usage page; and the page's CSP is enforced,
// not only sent.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempHome, writeSession } from '../helper.js';
import { describeBrowser, screenshot, serve, useBrowser, watchedPage, type Watched } from './browser.js';
import { HOSTILE_MODEL, HOSTILE_TITLE, hostileSessionLines } from './fixtures.js';

const ID = '01990000-0000-7000-8000-00000000bad1';

async function hostileHome(): Promise<string> {
  const home = await tempHome();
  const spec = { stamp: '2025-10-01T10-00-00', id: ID };
  await writeSession(home, spec, hostileSessionLines(spec));
  const name = {
    id: ID,
    thread_name: '<svg onload="window.__pwned=\'name\'"></svg><b onmouseover=alert(4)>named</b>',
    updated_at: '2025-10-01T10:00:00Z',
  };
  await writeFile(join(home, 'session_index.jsonl'), `${JSON.stringify(name)}\n`);
  return home;
}

/** Nothing ran: no flag, no dialog, no page error, nothing the CSP had to refuse. */
async function expectNothingRan(w: Watched): Promise<void> {
  expect(await w.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(w.dialogs).toEqual([]);
  expect(w.pageErrors).toEqual([]);
  expect(await w.cspViolations()).toEqual([]);
  // Nothing the sanitizer should have removed is in the document.
  const leftovers = await w.page.evaluate(() => ({
    scripts: document.querySelectorAll('main script, main iframe, main object, main embed').length,
    handlers: [...document.querySelectorAll('main *')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    jsLinks: [...document.querySelectorAll('main a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
  }));
  expect(leftovers).toEqual({ scripts: 0, handlers: 0, jsLinks: 0 });
}

describeBrowser('the hostile session', () => {
  const browser = useBrowser();

  it('runs nothing in the list, which shows the markup as text', async () => {
    const base = await serve(await hostileHome());
    const w = await watchedPage(browser);
    await w.page.goto(base);
    const row = w.page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => row.textContent()).toContain('<svg onload=');
    await row.hover();
    await expectNothingRan(w);
  });

  it('runs nothing in the transcript: messages, reasoning, commands, outputs and patches stay inert', async () => {
    const base = await serve(await hostileHome());
    const w = await watchedPage(browser);
    const remote: string[] = [];
    w.page.on('request', (r) => {
      if (!r.url().startsWith(base)) remote.push(r.url());
    });
    await w.page.goto(`${base}#/session/${ID}`);
    await w.page.getByRole('article', { name: 'Assistant message' }).waitFor();
    // The raw HTML is shown as text; the Markdown link lost its javascript: target.
    const user = w.page.getByRole('article', { name: 'User message' }).first();
    await expect.poll(() => user.textContent()).toContain(HOSTILE_TITLE);
    const link = w.page.getByRole('article', { name: 'Assistant message' }).getByText('click me');
    expect(await link.getAttribute('href')).toBeNull();
    // Open every collapsed part so that its content is in the live document too.
    for (const d of await w.page.locator('main details:not([open])').all()) await d.locator('summary').click();
    for (const a of await w.page.locator('main a').filter({ hasText: 'click me' }).all()) await a.click();
    await w.page.mouse.move(400, 400);
    await expectNothingRan(w);
    // The third-party image is a link, not a request (and the CSP would refuse it): no other origin is contacted.
    expect(remote).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
    expect(await w.page.getByText('[image: tracker]').first().getAttribute('href')).toBe('https://evil.example/pixel.png');
    await screenshot(w.page, 'hostile-session');
  });

  it('runs nothing in search snippets, which show the markup as text around their highlights', async () => {
    const base = await serve(await hostileHome());
    const w = await watchedPage(browser);
    for (const q of ['onerror', '<script>']) {
      await w.page.goto(`${base}#/search?${new URLSearchParams({ q, scope: 'all' })}`);
      const snippets = w.page.locator('.hits .snippet-text');
      await expect.poll(() => snippets.count()).toBeGreaterThan(0);
      // Every highlight is the query itself, as text; the snippet around it is the markup, as text.
      const marks = await w.page.locator('.hits mark').allTextContents();
      expect(marks.length).toBeGreaterThan(0);
      expect(new Set(marks.map((m) => m.toLowerCase()))).toEqual(new Set([q]));
      expect((await snippets.allTextContents()).join('\n')).toContain(q === 'onerror' ? '<img src=x onerror=' : '<script>window.__pwned');
      for (const a of await w.page.locator('.hits a').all()) await a.hover();
    }
    await screenshot(w.page, 'hostile-search');
    await expectNothingRan(w);
  });

  it('runs nothing on the Usage page, where its model name and project path are markup', async () => {
    const base = await serve(await hostileHome());
    const w = await watchedPage(browser);
    // All time: the session is older than the default 30 days.
    await w.page.goto(`${base}#/usage?range=all`);
    const legend = w.page.getByRole('img', { name: 'Tokens per day, stacked by model' }).locator('.u-label');
    await expect.poll(() => legend.allTextContents()).toContain(HOSTILE_MODEL);
    // No price for it: named as text in place of the cost chart and in the totals.
    await w.page.getByText(`No cost to draw: none of the models used in these days has a price (${HOSTILE_MODEL}).`).waitFor();
    await w.page.getByText(`No price for ${HOSTILE_MODEL}: not in the cost.`).waitFor();
    expect(await w.page.getByRole('list', { name: 'Tokens by project' }).textContent()).toContain('<img src=x onerror=alert(3)>');
    const groupBy = w.page.getByLabel('Group by');
    for (const group of ['model', 'cwd', 'session']) {
      await groupBy.selectOption(group);
      await w.page.locator(`.usage-table.group-${group} tbody tr`).first().waitFor();
      for (const el of await w.page.locator('.usage-table tbody th, .usage-table tbody .cost').all()) await el.hover();
    }
    expect(await w.page.locator('.usage-table.group-session tbody th a').getAttribute('href')).toBe(`#/session/${ID}`);
    await screenshot(w.page, 'hostile-usage', true);
    await expectNothingRan(w);
  });

  it('enforces its CSP: an inline script added to the page does not run', async () => {
    const base = await serve(await hostileHome());
    const w = await watchedPage(browser);
    await w.page.goto(base);
    await w.page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().waitFor();
    // The test inserts the element (through DevTools); whether it runs is up to the page's policy.
    await w.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__pwned = "inline"';
      document.body.append(s);
    });
    await expect.poll(w.cspViolations).toContainEqual(expect.stringMatching(/^script-src/));
    expect(await w.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    // The page itself has no inline script: every script is a file from this origin.
    const scripts = await w.page.evaluate(() =>
      [...document.scripts].map((s) => ({ src: s.src, inline: s.textContent !== '' && s.src === '' })),
    );
    expect(scripts.filter((s) => s.inline && s.src === '')).toHaveLength(1); // only the one the test inserted
    expect(scripts.filter((s) => s.src !== '').every((s) => s.src.startsWith(base))).toBe(true);
  });

  it('runs nothing in a Claude Code transcript: prompt, thinking, tools, results, sub-agents, unknown types', async () => {
    const id = '01990000-0000-7000-8000-00000000bad2';
    const x = (what: string) => `<img src=x onerror="window.__pwned='${what}'"><script>window.__pwned='${what}'</script>`;
    const base0 = { sessionId: id, cwd: `/home/${x('cwd')}`, version: '2.1.197', gitBranch: x('branch'), isSidechain: false };
    const at = (s: number) => ({ ...base0, timestamp: `2026-12-06T10:00:0${s}Z`, uuid: `u${s}` });
    const assistant = (s: number, block: unknown) => ({
      ...at(s),
      type: 'assistant',
      message: { id: `m${s}`, model: x('model'), content: [block] },
    });
    const result = (s: number, block: Record<string, unknown>, extra = {}) => ({
      ...at(s),
      type: 'user',
      ...extra,
      message: { role: 'user', content: [{ type: 'tool_result', ...block }] },
    });
    const lines = [
      { ...at(1), type: 'user', message: { role: 'user', content: `hi ${x('prompt')} [link](javascript:window.__pwned='md')` } },
      assistant(2, { type: 'thinking', thinking: x('thinking') }),
      assistant(3, { type: 'tool_use', id: 't1', name: x('tool'), input: { command: x('command') } }),
      assistant(4, { type: 'tool_use', id: 't2', name: 'Agent', input: { description: x('d'), prompt: x('a'), subagent_type: x('t') } }),
      result(5, { tool_use_id: 't1', content: x('result'), is_error: true }),
      result(6, { tool_use_id: 't2', content: [{ type: 'text', text: x('r') }] }, { toolUseResult: { agentId: `x" onclick="alert(1)` } }),
      result(7, { tool_use_id: 't3', content: x('orphan') }, { toolUseResult: { agentId: 'a1b2c3' } }),
      { ...at(7), type: 'attachment', attachment: { type: x('attachment') } },
      { ...at(8), type: x('type'), detail: x('detail') },
      { ...at(9), type: 'assistant', isApiErrorMessage: true, message: { content: [{ type: 'text', text: x('api') }] } },
      { ...at(9), type: 'system', subtype: x('subtype'), content: x('system') },
    ];
    const claudeHome = await tempHome();
    await mkdir(join(claudeHome, 'projects/-x'), { recursive: true });
    await writeFile(join(claudeHome, `projects/-x/${id}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const base = await serve(await tempHome(), { claudeHome, agents: ['claude'] });
    const w = await watchedPage(browser);
    await w.page.goto(base);
    const row = w.page.getByRole('list', { name: 'Sessions' }).getByRole('link');
    await expect.poll(() => row.textContent()).toContain(`hi <img src=x onerror=`);
    await row.hover();
    await expectNothingRan(w);
    await w.page.goto(`${base}#/session/${id}`);
    await w.page.locator(`[data-session="${id}"] [aria-label="Transcript"][aria-busy="false"]`).waitFor();
    await w.page.getByRole('region', { name: /^Tool call <img/ }).waitFor();
    for (const details of await w.page.locator('details').all()) await details.locator('summary').first().click();
    expect(await w.page.locator('main').textContent()).toContain(`onerror="window.__pwned='thinking'"`);
    await expectNothingRan(w);
  });
});
