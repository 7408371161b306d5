import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp, list, tempHome, uuidN, writeSession } from '../helper.js';

async function appWithOne() {
  const home = await tempHome();
  await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'x' });
  return { home, app: await buildTestApp(home) };
}

describe('GET /conversations: bad input', () => {
  it.each([
    ['cursor=garbage', 'INVALID_CURSOR'],
    ['cursor=', 'INVALID_CURSOR'],
    [`cursor=2025-01-01T00-00-00`, 'INVALID_CURSOR'],
    [`cursor=2025-13-01T00-00-00|${uuidN(1)}`, 'INVALID_CURSOR'],
    [`cursor=2025-01-01T00-00-00|not-a-uuid`, 'INVALID_CURSOR'],
    [`cursor=2025-01-01T00-00-00|${uuidN(1)}|extra`, 'INVALID_CURSOR'],
    [`cursor=..%2F..%2Fetc%2Fpasswd`, 'INVALID_CURSOR'],
    [`cursor=${encodeURIComponent(`asc|2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    [`order=asc&cursor=${encodeURIComponent(`2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    ['limit=101', 'INVALID_QUERY'],
    ['limit=-1', 'INVALID_QUERY'],
    ['limit=abc', 'INVALID_QUERY'],
    ['limit=2.5', 'INVALID_QUERY'],
    ['limit=1&limit=2', 'INVALID_QUERY'],
    ['head=101', 'INVALID_QUERY'],
    ['tail=-3', 'INVALID_QUERY'],
    ['archived=maybe', 'INVALID_QUERY'],
    ['includeEmpty=perhaps', 'INVALID_QUERY'],
    ['order=sideways', 'INVALID_QUERY'],
    [`sort=updated&cursor=${encodeURIComponent(`2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    [`cursor=${encodeURIComponent(`upd|1735689600000|2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    [`sort=updated&order=asc&cursor=${encodeURIComponent(`upd|1735689600000|2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    [`sort=updated&cursor=${encodeURIComponent(`upd|soon|2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    ['source=bogus', 'INVALID_QUERY'],
    ['source=cli&source=bogus', 'INVALID_QUERY'],
    ['since=yesterday', 'INVALID_QUERY'],
    ['until=2025-02-30', 'INVALID_QUERY'],
    ['since=2025-02-01&until=2025-01-01', 'INVALID_QUERY'],
    // Years luxon parses but a Date cannot hold a day later: they were 500 (scan) or silently empty (index).
    ['since=-271821-04-20', 'INVALID_QUERY'],
    ['until=%2B275760-09-13', 'INVALID_QUERY'],
    ['since=%2B010000-01-01', 'INVALID_QUERY'],
    ['since=-000001-12-31&sort=updated', 'INVALID_QUERY'],
    [`sort=updated&cursor=${encodeURIComponent(`upd|999999999999999|2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    [`sort=updated&cursor=${encodeURIComponent(`upd|--1|2025-01-01T00-00-00|${uuidN(1)}`)}`, 'INVALID_CURSOR'],
    ['q=', 'INVALID_QUERY'],
    ['cwd=', 'INVALID_QUERY'],
    ['provider=', 'INVALID_QUERY'],
    ['sort=size', 'INVALID_QUERY'],
    ['limt=5', 'INVALID_QUERY'],
  ])('%s → 400 %s', async (query, code) => {
    const { app } = await appWithOne();
    const res = await app.inject(`/conversations?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status: 400, code });
  });

  it('an I/O failure while scanning → 500 SCAN_FAILED without paths or stacks', async () => {
    const parent = await tempHome();
    const home = join(parent, 'home');
    await symlink(home, home); // the home itself is a loop: it cannot be resolved (ELOOP)
    const logs: string[] = [];
    const app = await buildTestApp(home, {}, logs);
    const res = await app.inject('/conversations');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ status: 500, code: 'SCAN_FAILED' });
    expect(res.body).not.toContain(home);
    expect(res.body).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(logs.join('\n')).toContain('ELOOP');
  });

  it('an unreadable sessions/ is skipped, logged once and reported by /readyz, not a 500', async () => {
    const home = await tempHome();
    await symlink(join(home, 'sessions'), join(home, 'sessions')); // a loop: readdir fails with ELOOP
    const logs: string[] = [];
    const app = await buildTestApp(home, {}, logs);
    for (let i = 0; i < 3; i++) expect((await list(app)).items).toEqual([]);
    const warned = logs.map((l) => JSON.parse(l)).filter((l) => l.degraded === 'dir:sessions');
    expect(warned).toHaveLength(1);
    expect(warned[0].msg).toContain('cannot read sessions (ELOOP)');
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'degraded', degraded: ['cannot read sessions (ELOOP): its sessions are skipped'] });
    expect(ready.body).not.toContain(home);
  });
});
