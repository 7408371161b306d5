import { describe, expect, it } from 'vitest';
import { appFor, buildTestApp, list, tempHome, uuidN, writeSession } from '../helper.js';

/** Seven sessions, two of them exec, one without a user message yet. */
async function home(): Promise<string> {
  const dir = await tempHome();
  for (let n = 1; n <= 6; n++) {
    const day = String(n).padStart(2, '0');
    const source = n <= 2 ? 'exec' : 'cli';
    await writeSession(dir, { stamp: `2025-02-${day}T10-00-00`, id: uuidN(n), title: `task ${n} Ünïcode`, source });
  }
  await writeSession(dir, { stamp: '2025-02-07T10-00-00', id: uuidN(7), title: null });
  return dir;
}

describe('total on GET /conversations', () => {
  it('counts every page together on the first page only, with the filters, when asked', async () => {
    const app = await appFor(await home(), true);
    // Not asked: not counted (the count costs more than a page on a large home).
    expect(await list(app, 'limit=2&head=0')).not.toHaveProperty('total');
    expect(await list(app, 'limit=2&head=0&total=false')).not.toHaveProperty('total');
    const first = await list(app, 'limit=2&head=0&total=true');
    expect([first.items.length, first.total]).toEqual([2, 6]);
    const second = await list(app, `limit=2&head=0&cursor=${encodeURIComponent(first.nextCursor!)}&total=true`);
    expect(second.total).toBeUndefined();
    expect((await list(app, 'limit=1&source=exec&total=true')).total).toBe(2);
    expect((await list(app, 'limit=1&q=ÜNÏCODE&sort=updated&total=true')).total).toBe(6);
    expect((await list(app, 'limit=1&includeEmpty=true&total=true')).total).toBe(7);
    expect((await list(app, 'limit=0&total=true')).total).toBe(6);
  });

  it('is absent without an index', async () => {
    const app = await buildTestApp(await home());
    const page = await list(app, 'limit=2&total=true');
    expect(page.items).toHaveLength(2);
    expect(page).not.toHaveProperty('total');
  });

  it('is part of the ETag: a new session changes the total and the tag, never a 304 with the old count', async () => {
    const dir = await home();
    const app = await appFor(dir, true);
    const url = '/conversations?limit=2&head=0&order=asc&total=true';
    const before = await app.inject(url);
    expect(before.json().total).toBe(6);
    // The newest session, off this oldest-first page: only the total tells it.
    await writeSession(dir, { stamp: '2025-02-08T10-00-00', id: uuidN(9), title: 'new' });
    const after = await app.inject({ url, headers: { 'if-none-match': before.headers.etag as string } });
    expect(after.statusCode).toBe(200);
    expect(after.json().total).toBe(7);
    expect(after.json().items).toEqual(before.json().items);
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  it('refuses a total that is not a boolean: 400 INVALID_QUERY naming it', async () => {
    const app = await appFor(await home(), true);
    const res = await app.inject('/conversations?total=maybe');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_QUERY');
    expect(res.json().detail).toContain('total');
  });
});
