// A first page while the Claude index is not complete (issue 20, a 100,000-session mixed home; docs/claude.md,
// "Serving"): a Claude file's ordering key is not in its name, so without its index the walk lists and stats the
// whole tree before its first file. Past min(scan bound, LISTING_WAIT_FILES) files the page does not wait for that listing: it goes without
// the Claude sessions and says so (`indexing: true`), and once the listing is done the pages hold them again.
// The Claude index is kept from building by another process's lock on its file (as test/http/index-lock.test.ts).
import { cp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildTestApp, copyOfRealHome, tempHome } from '../helper.js';
import { eventually } from '../net.js';

const CLAUDE_REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claude-home-real');
/** The real Claude home's transcripts: 10 sessions and 2 sub-agents. */
const CLAUDE_FILES = 12;

function holdLock(path: string) {
  const holder = new Database(path);
  holder.exec('BEGIN IMMEDIATE');
  return () => {
    holder.exec('ROLLBACK');
    holder.close();
  };
}

interface Page {
  items: { agent: string; createdAt: string }[];
  nextCursor: string | null;
  indexing?: boolean;
}

async function mixedApp(maxScanFiles: number) {
  const claudeHome = await tempHome();
  await cp(CLAUDE_REAL, claudeHome, { recursive: true });
  const dir = await tempHome();
  const indexPath = join(dir, 'index.sqlite');
  const release = holdLock(join(dir, 'index.claude.sqlite'));
  const app = await buildTestApp(await copyOfRealHome(), { indexPath, claudeHome, agents: ['codex', 'claude'], maxScanFiles });
  await eventually(() => app.inject('/readyz'), (r) => r.json().index?.state === 'waiting', 10_000);
  const page = async (query = '') => (await app.inject(`/conversations?limit=100&head=0&includeEmpty=true${query}`)).json() as Page;
  return { app, page, release };
}

describe('a first page while the Claude index is not complete', () => {
  it('a home past the bound (the scan bound here): no Claude sessions, indexing: true; all of them once listed', async () => {
    const { app, page, release } = await mixedApp(CLAUDE_FILES - 1);
    try {
      const first = await page();
      expect(first.indexing).toBe(true);
      expect(first.items.length).toBeGreaterThan(0);
      expect(first.items.every((i) => i.agent === 'codex')).toBe(true);
      // Claude's alone: nothing to show yet, and an empty last page would say there is nothing.
      const claudeOnly = await app.inject('/conversations?head=0&agent=claude');
      expect(claudeOnly.statusCode).toBe(503);
      expect(claudeOnly.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(Number(claudeOnly.headers['retry-after'])).toBeGreaterThan(0);
      // The listing went on without the requests: a later page has every Claude session, and no flag.
      await eventually(page, (p) => p.indexing === undefined, 30_000);
      const items: Page['items'] = [];
      for (let cursor: string | null = ''; cursor !== null; ) {
        const next: Page = await page(cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`);
        expect(next.indexing).toBeUndefined();
        items.push(...next.items);
        cursor = next.nextCursor;
      }
      expect(items.filter((i) => i.agent === 'claude')).toHaveLength(CLAUDE_FILES); // the scan bound pages them
      const created = items.map((i) => i.createdAt);
      expect(created).toEqual([...created].sort().reverse());
    } finally {
      release();
    }
  });

  it('a home within the bound: the first page waits for the listing and has every session', async () => {
    const { page, release } = await mixedApp(CLAUDE_FILES);
    try {
      const first = await page();
      expect(first.indexing).toBeUndefined();
      expect(first.items.filter((i) => i.agent === 'claude')).toHaveLength(CLAUDE_FILES);
    } finally {
      release();
    }
  });
});
