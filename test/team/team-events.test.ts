// /events in team mode: a push to one instance reaches the event streams of another (LISTEN/NOTIFY).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { buildTestApp, tempHome, writeSession } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushOnce } from './pushed-index-helper.js';
import { teamGet } from './team-read-helper.js';
import { openEvents } from './sse-client.js';
import { startTeam } from './team-helper.js';

describePg('team mode: /events across instances', () => {
  it('a push to one instance reaches a stream of the other within a second, by machine; roles and a single machine refuse', async () => {
    const team = await startTeam();
    const webRoot = await tempHome();
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>codex-sessions</title>');
    await writeFile(join(webRoot, 'assets', 'main-ABCDEFGH.js'), 'console.log(1);');
    const other = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: team.url }, { webRoot });
    try {
      const otherBase = await other.listen({ host: '127.0.0.1', port: 0 });
      const read = await team.token('read');
      const erin = await openEvents(otherBase, '/events?machine=erin', read);
      const all = await openEvents(otherBase, '/events', read);
      const hello = await erin.next((f) => f.id !== undefined && f.event === undefined);
      const home = await tempHome();
      const id = v7At('2025-05-01T10:00:00Z', 1);
      await writeSession(home, { stamp: '2025-05-01T10-00-00', id, title: 'live across instances' });
      await pushOnce(team, await team.token('push', 'frank'), home);
      await pushOnce(team, await team.token('push', 'erin'), home);
      const pushed = Date.now();
      const got = await erin.next((f) => f.event === 'session');
      const data = JSON.parse(got.data!) as { change: string; session: { id: string; machine: string; title: string } };
      expect(data.change).toBe('created');
      expect(data.session).toMatchObject({ id, machine: 'erin', title: 'live across instances' });
      expect(Number(got.id)).toBeGreaterThan(Number(hello.id));
      // Sent at the ingest's commit, before the agent even exits: within a second of the push (SPEC section 9).
      expect(got.at!).toBeLessThan(pushed + 1000);
      // The unfiltered stream saw both machines; the filtered one only erin.
      await all.next((f) => f.event === 'session' && f.data!.includes('"machine":"erin"'));
      await all.next((f) => f.event === 'session' && f.data!.includes('"machine":"frank"'));
      expect(erin.frames.filter((f) => f.event === 'session').every((f) => f.data!.includes('"machine":"erin"'))).toBe(true);
      // Reconnecting behind the newest change: what changed since is replayed from the database, not a reset.
      const again = await openEvents(otherBase, '/events?machine=erin', read, { 'last-event-id': hello.id! });
      const replayed = JSON.parse((await again.next((f) => f.event === 'session')).data!) as { change: string; session: object };
      expect(replayed).toMatchObject({ change: 'updated', session: { id, machine: 'erin', title: 'live across instances' } });
      expect(again.frames.filter((f) => f.event !== undefined).map((f) => f.event)).toEqual(['session']);
      await Promise.all([erin.close(), all.close(), again.close()]);

      const usage = await teamGet(team, '/events', await team.token('usage'));
      expect([usage.status, usage.json().code]).toEqual([403, 'WRONG_ROLE']);
      // The dashboard's files need no token (they hold no session data); the API behind them does.
      const page = await fetch(`${otherBase}/`);
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(await page.text()).toBe('<!doctype html><title>codex-sessions</title>');
      expect((await fetch(`${otherBase}/assets/main-ABCDEFGH.js`)).status).toBe(200);
      expect((await fetch(`${otherBase}/conversations`)).status).toBe(401);
      const bad = await teamGet(team, '/events?machine=..', read);
      expect([bad.status, bad.json().code]).toEqual([400, 'INVALID_QUERY']);
    } finally {
      await other.close();
    }
    const single = await buildTestApp(await tempHome());
    const refused = await single.inject('/events?machine=erin');
    expect([refused.statusCode, refused.json().code]).toEqual([400, 'INVALID_QUERY']);
  });
});
