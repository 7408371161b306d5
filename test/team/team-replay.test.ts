// /events in team mode: `removed` events for pushed deletions, and the replay after Last-Event-ID
// (what changed while a client was away, read from the database by whichever instance it reaches).
import { appendFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEFAULT_LIVE, defaultConfig } from '../../src/config.js';
import { tempHome, writeSession } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushOnce } from './pushed-index-helper.js';
import { openEvents, until, type EventStream, type Frame } from './sse-client.js';
import { startTeam } from './team-helper.js';

interface Change {
  id: string;
  change: string;
  session: { id: string; machine: string; title: string | null; archived: boolean; name: string | null };
}

const changeOf = (f: Frame): Change => ({ id: f.id!, ...(JSON.parse(f.data!) as Omit<Change, 'id'>) });
const sessions = (s: EventStream) => s.frames.filter((f) => f.event === 'session').map(changeOf);

const stamp = (n: number) => `2025-05-01T10-00-0${n}`;
const idOf = (n: number) => v7At('2025-05-01T10:00:00Z', n);

describePg('team mode: removed events and the replay of /events', () => {
  it('a pushed deletion is `removed` with its machine; a client back after a while gets what changed, from any instance', async () => {
    const team = await startTeam();
    const other = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: team.url });
    const instances = [other];
    try {
      const otherBase = await other.listen({ host: '127.0.0.1', port: 0 });
      const read = await team.token('read');
      const erin = await team.token('push', 'erin');
      const home = await tempHome();
      const rel: string[] = [];
      for (const n of [1, 2, 3, 4]) rel[n] = await writeSession(home, { stamp: stamp(n), id: idOf(n), title: `session ${n}` });
      const onB = await openEvents(otherBase, '/events', read);
      await onB.next((f) => f.id !== undefined);
      await pushOnce(team, erin, home);
      await until(async () => new Set(sessions(onB).map((c) => c.session.id)).size === 4);
      // An instance started after the push has read nothing of it.
      const third = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: team.url });
      instances.push(third);
      const onA = await openEvents(await third.listen({ host: '127.0.0.1', port: 0 }), '/events', read);
      await onA.next((f) => f.id !== undefined);

      // The agent propagates a deletion: both instances announce it, with the machine. B read the session
      // when it was pushed (its summary then); the third never did (what the path says, as over one home).
      await rm(join(home, rel[2]!));
      await pushOnce(team, erin, home);
      const removedOnB = changeOf(await onB.next((f) => f.event === 'session' && f.data!.includes('"removed"')));
      const removedOnA = changeOf(await onA.next((f) => f.event === 'session' && f.data!.includes('"removed"')));
      expect(removedOnB).toMatchObject({ change: 'removed', session: { id: idOf(2), machine: 'erin', title: 'session 2' } });
      expect(removedOnA).toMatchObject({ change: 'removed', session: { id: idOf(2), machine: 'erin', title: null, archived: false } });
      expect(removedOnA.id).toBe(removedOnB.id);
      const away = removedOnB.id;
      await Promise.all([onA.close(), onB.close()]);

      // While the client is away: an append, an archive move, a deletion, a new session; another machine pushes too.
      const more = `${JSON.stringify({ type: 'event_msg', payload: { type: 'agent_message', message: 'more' } })}\n`;
      await appendFile(join(home, rel[1]!), more);
      await mkdir(join(home, 'archived_sessions'), { recursive: true });
      await rename(join(home, rel[3]!), join(home, 'archived_sessions', rel[3]!.split('/').at(-1)!));
      await rm(join(home, rel[4]!));
      await writeSession(home, { stamp: stamp(5), id: idOf(5), title: 'session 5' });
      await pushOnce(team, erin, home);
      const frankHome = await tempHome();
      await writeSession(frankHome, { stamp: stamp(6), id: idOf(6), title: 'session 6' });
      await pushOnce(team, await team.token('push', 'frank'), frankHome);

      // Back on the other instance (ids are the same on every instance), watching erin's active sessions.
      const back = await openEvents(team.base, '/events?machine=erin', read, { 'last-event-id': away });
      await until(async () => sessions(back).length >= 4);
      const replayed = sessions(back);
      expect(back.frames.some((f) => f.event === 'reset')).toBe(false);
      expect(Object.fromEntries(replayed.map((c) => [c.session.id, c.change]))).toEqual({
        [idOf(1)]: 'updated',
        [idOf(3)]: 'archived', // out of the active view: the client drops it
        [idOf(4)]: 'removed',
        [idOf(5)]: 'updated', // created while away: a replay gives each session as it is now
      });
      expect(replayed.every((c) => c.session.machine === 'erin')).toBe(true);
      const ids = replayed.map((c) => Number(c.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(ids[0]).toBeGreaterThan(Number(away));

      // The stream goes on live after its replay.
      await writeSession(home, { stamp: stamp(7), id: idOf(7), title: 'session 7' });
      await pushOnce(team, erin, home);
      const live = changeOf(await back.next((f) => f.event === 'session' && f.data!.includes(idOf(7))));
      expect(live).toMatchObject({ change: 'created', session: { title: 'session 7' } });
      expect(Number(live.id)).toBeGreaterThan(ids.at(-1)!);

      // A rename (a line appended to session_index.jsonl) is `renamed` live; a replay across it is a reset
      // (the names before it are not kept, so which sessions it renamed cannot be told).
      const renaming = { id: idOf(1), thread_name: 'a better name', updated_at: '2025-05-01T11:00:00Z' };
      await appendFile(join(home, 'session_index.jsonl'), `${JSON.stringify(renaming)}\n`);
      await pushOnce(team, erin, home);
      const renamed = changeOf(await back.next((f) => f.event === 'session' && f.data!.includes('"renamed"')));
      expect(renamed).toMatchObject({ change: 'renamed', session: { id: idOf(1), machine: 'erin', name: 'a better name' } });
      const acrossRename = await openEvents(otherBase, '/events', read, { 'last-event-id': live.id });
      expect((await acrossRename.next((f) => f.event === 'reset')).data).toBe('{"reason":"expired"}');
      await acrossRename.close();

      // An id past the newest change was never given out: reset.
      const future = await openEvents(otherBase, '/events', read, { 'last-event-id': String(Number(live.id) + 1_000_000) });
      const reset = await future.next((f) => f.event === 'reset');
      expect(reset.data).toBe('{"reason":"expired"}');
      await Promise.all([back.close(), future.close()]);
    } finally {
      for (const instance of instances) await instance.close();
    }
  });

  it('more changed files than a replay sends, or removals no longer kept: reset (the client reloads)', async () => {
    // A replay sends at most 10 files here (1,000 by default: the same query and comparison, 990 fewer files to push).
    const replayMax = 10;
    expect(DEFAULT_LIVE.replayMax).toBe(1000); // docs/team.md's limit
    // A stream replayed nothing sends its headers with its first frame; the heartbeat (a comment) brings them
    // soon, not after the default 15 s (erinOnly below, whose fetch resolves only then).
    const team = await startTeam({ live: { ...DEFAULT_LIVE, replayMax, heartbeatMs: 200 } });
    const read = await team.token('read');
    const erin = await team.token('push', 'erin');
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: stamp(1), id: idOf(1), title: 'kept' });
    await pushOnce(team, erin, home);
    const hello = await openEvents(team.base, '/events', read);
    const before = (await hello.next((f) => f.id !== undefined)).id!;
    await hello.close();

    // One file more than a replay sends, of another machine: too many for a replay of every machine, none for one of erin's.
    const many = await tempHome();
    for (let n = 0; n <= replayMax; n++) {
      await writeSession(many, { stamp: '2025-06-01T10-00-00', id: v7At('2025-06-01T10:00:00Z', 100 + n) });
    }
    await pushOnce(team, await team.token('push', 'gina'), many);
    const all = await openEvents(team.base, '/events', read, { 'last-event-id': before });
    expect(JSON.parse((await all.next((f) => f.event === 'reset')).data!)).toEqual({ reason: 'expired' });
    const erinOnly = await openEvents(team.base, '/events?machine=erin', read, { 'last-event-id': before });
    await appendFile(join(home, rel), `${JSON.stringify({ type: 'event_msg', payload: { type: 'agent_message', message: 'more' } })}\n`);
    await pushOnce(team, erin, home);
    await erinOnly.next((f) => f.event === 'session');
    expect(erinOnly.frames.filter((f) => f.event !== undefined).map((f) => f.event)).toEqual(['session']);
    await Promise.all([all.close(), erinOnly.close()]);

    // cs_removed keeps the newest 10,000 removals: a client from before the oldest kept one may have missed some.
    const now = await openEvents(team.base, '/events?machine=erin', read);
    const mark = (await now.next((f) => f.id !== undefined)).id!;
    await now.close();
    await team.db.query(
      `INSERT INTO cs_removed (seq, machine, path)
         SELECT nextval('cs_change_seq'), 'zed', 'sessions/2025/01/01/rollout-2025-01-01T00-00-00-' || g || '.jsonl'
           FROM generate_series(1, 10000) AS g`,
    );
    await rm(join(home, rel));
    await pushOnce(team, erin, home);
    const { rows } = await team.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cs_removed');
    expect(rows[0]!.n).toBe(10_000);
    const late = await openEvents(team.base, '/events?machine=erin', read, { 'last-event-id': mark });
    expect(JSON.parse((await late.next((f) => f.event === 'reset')).data!)).toEqual({ reason: 'expired' });
    expect(sessions(late)).toEqual([]);
    await late.close();
  });
});
