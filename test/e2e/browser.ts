// The dashboard's browser tests: Debian's Chromium (chromium.ts says which build) driven by
// playwright-core, against the real service listening on a free port over temp Codex homes. Without Chromium they are skipped,
// loudly (global-setup.ts prints why); .ci/run installs it so that CI always runs them.
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, vi } from 'vitest';
import type { Config } from '../../src/config.js';
import { appFor, buildTestApp } from '../helper.js';
import { listen } from '../net.js';
import { CHROMIUM_PATH, hasChromium } from './chromium.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(ROOT, 'test-output/screenshots');

/**
 * describe() when Chromium is installed, a skip (announced by global-setup.ts) when it is not.
 * A browser test walks through a whole view: it gets more time than a unit test on a busy machine.
 */
export function describeBrowser(name: string, body: () => void): void {
  (hasChromium ? describe : describe.skip)(name, { timeout: 120_000 }, body);
}

/** Deadlines for waits in the page: generous, because the test machine is small and shared. */
export const WAIT_MS = 20_000;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
}

/** Where the worker process's Chromium is kept: on globalThis, because each test file evaluates its own copy of this module. */
const SHARED = Symbol.for('codex-sessions.e2e.chromium');
type Shared = typeof globalThis & { [SHARED]?: Promise<Chromium> };

/**
 * The worker process's Chromium, launched by its first browser test file and used by the next
 * ones (the e2e and team projects run several files to a worker): a launch costs about 1.5 s of
 * CPU, a context a fraction of that (docs/testing.md). It goes with the process: Playwright
 * kills the browsers it launched when Node exits. One that crashed or was closed is launched again.
 */
async function sharedChromium(): Promise<Chromium> {
  const shared = globalThis as Shared;
  const running = await shared[SHARED]?.catch(() => undefined);
  if (running?.isConnected()) return running;
  const launching = chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 60_000 });
  shared[SHARED] = launching;
  return launching;
}

/**
 * A fresh browser context for the file (its own storage, cookies and permissions, as a new
 * profile has), in the worker's shared Chromium; each test's tabs close after it. With `now` (ms
 * since the epoch), the pages' Date says that moment all along (timers still run), so that views
 * which count back from today draw the same days every run.
 */
export function useBrowser(options: { colorScheme?: 'light' | 'dark'; timezoneId?: string; now?: number } = {}): Browser {
  const holder = {} as Browser;
  beforeAll(async () => {
    holder.context = await (await sharedChromium()).newContext({
      viewport: { width: 1280, height: 860 },
      colorScheme: options.colorScheme ?? 'light',
      ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
      acceptDownloads: true,
    });
    holder.context.setDefaultTimeout(WAIT_MS);
    if (options.now !== undefined) await holder.context.clock.setFixedTime(options.now);
  }, 90_000);
  // expect.poll waits as long as the page's own waits (its default, 1 s, is too short here).
  beforeEach(() => vi.setConfig({ expect: { poll: { timeout: WAIT_MS } } }));
  // Before the test's server closes (helper.ts closes it after each test): the pages' requests
  // and streams end with them. The spare connections Chromium opens without a request are the
  // server's close to end (src/http/idle-sockets.ts): they held a team server's close for 60 s.
  afterEach(async () => {
    for (const page of holder.context?.pages() ?? []) await page.close();
  });
  afterAll(async () => {
    await holder.context?.close();
  });
  return holder;
}

/**
 * The service over `home`, listening on a free loopback port (closed after the test); its
 * dashboard URL. With `index`, a fresh metadata index that has completed its first pass (usage
 * on list items is null without one).
 */
export async function serve(home: string, overrides: Partial<Config> = {}, options: { index?: boolean } = {}): Promise<string> {
  const app = options.index ? await appFor(home, true, overrides) : await buildTestApp(home, overrides);
  const port = await listen(app);
  return `http://127.0.0.1:${port}/`;
}

export interface Watched {
  page: Page;
  /** Uncaught page errors, dialogs (alert/confirm/prompt) and CSP violations, as they happen. */
  pageErrors: string[];
  dialogs: string[];
  cspViolations: () => Promise<string[]>;
}

/**
 * A new tab (its own sessionStorage) that records anything hostile content could make happen.
 * The recorder is installed before any page script runs, through DevTools, which the page's
 * CSP does not govern.
 */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const cspViolations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  return { page, pageErrors, dialogs, cspViolations };
}

/** Saves a screenshot of the page under test-output/screenshots/ (git-ignored). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}
