// Same answers as one machine (SPEC section 9): homes pushed by the real agent are read from the
// team server, machine by machine, and every endpoint answers what the single-machine service
// (with its SQLite index) answers over that home: items, order, titles, records byte for byte,
// search hits, usage totals, plus `machine`.
import type { FastifyInstance } from 'fastify';
import { expect, it } from 'vitest';
import { GROUP_BY } from '../../src/rollout/usage/grouping.js';
import { appFor, envelopeLines, tempHome, writeSession } from '../helper.js';
import { sessionMeta, turnContext, u, usageRecord, v7At } from '../usage-lines.js';
import { pushOnce, pushedUpkeep } from './pushed-index-helper.js';
import { startTeam } from './team-helper.js';
import { describePg } from './pg.js';
import { pushedTeam, teamGet, withoutMachine, type PushedTeam } from './team-read-helper.js';

const LISTS = ['sort=created&order=desc', 'sort=updated&order=desc', 'sort=created&order=asc', 'sort=updated&order=asc'].flatMap((q) =>
  ['all', 'false', 'true'].map((archived) => `${q}&archived=${archived}&total=true`),
);
const NEEDLES = ['the', 'error', 'test', 'function ok', 'zzzz-not-there'];

interface Pair {
  single: (path: string) => Promise<{ status: number; body: Buffer }>;
  team: (path: string) => Promise<{ status: number; body: Buffer }>;
}

/** The same request of both: the team's narrowed to `machine` (`machine=` on the query). */
function pair(app: FastifyInstance, t: PushedTeam, machine: string): Pair {
  return {
    single: async (path) => {
      const res = await app.inject({ method: 'GET', url: path });
      return { status: res.statusCode, body: res.rawPayload };
    },
    team: async (path) => teamGet(t.team, `${path}${path.includes('?') ? '&' : '?'}machine=${machine}`, t.read),
  };
}

const json = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));

/** Both answer the same status and JSON, once the team's `machine` fields are dropped; returns it. */
async function same(p: Pair, path: string, machine: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const [single, team] = await Promise.all([p.single(path), p.team(path)]);
  expect(team.status, `${path}: ${team.body.toString().slice(0, 300)}`).toBe(single.status);
  const teamJson = json(team.body);
  const text = JSON.stringify(teamJson);
  // Every item the team names is on this machine.
  if (text.includes('"machine"')) expect(text.match(/"machine":"([^"]*)"/g)!.every((m) => m === `"machine":"${machine}"`)).toBe(true);
  // numScannedFiles says how much work a page took (a tree walk reads files that are not sessions): not an answer.
  const work = (body: unknown) => JSON.parse(JSON.stringify(body), (key, value) => (key === 'numScannedFiles' ? undefined : value));
  expect(work(withoutMachine(teamJson)), path).toEqual(work(json(single.body)));
  return teamJson;
}

/** Every page of a list, followed by its cursors, items and totals compared page by page. */
async function samePages(p: Pair, query: string, machine: string): Promise<{ id: string; path: string }[]> {
  const [first, team] = [await p.single(`/conversations?limit=7&${query}`), await p.team(`/conversations?limit=7&${query}`)];
  const items: { id: string; path: string }[] = [];
  let single = json(first.body) as { items: { id: string; path: string }[]; nextCursor: string | null; total?: number };
  let teamPage = json(team.body) as typeof single;
  expect([typeof single.total, teamPage.total], query).toEqual(['number', single.total]);
  while (true) {
    expect(withoutMachine(teamPage.items), query).toEqual(single.items);
    expect(teamPage.items.every((i) => (i as unknown as { machine: string }).machine === machine)).toBe(true);
    items.push(...single.items);
    expect(teamPage.nextCursor === null, query).toBe(single.nextCursor === null);
    if (single.nextCursor === null || teamPage.nextCursor === null) return items;
    const s = await p.single(`/conversations?limit=7&${query}&cursor=${encodeURIComponent(single.nextCursor)}`);
    const t = await p.team(`/conversations?limit=7&${query}&cursor=${encodeURIComponent(teamPage.nextCursor)}`);
    single = json(s.body) as typeof single;
    teamPage = json(t.body) as typeof single;
  }
}

async function expectSameAsOneMachine(t: PushedTeam, machine: string): Promise<void> {
  const app = await appFor(t.homes[machine]!, true);
  const p = pair(app, t, machine);
  let sessions: { id: string; path: string }[] = [];
  for (const query of LISTS) {
    const items = await samePages(p, query, machine);
    if (query.includes('archived=all') && items.length > sessions.length) sessions = items;
  }
  expect(sessions.length).toBeGreaterThan(3);
  await same(p, '/conversations?limit=50&q=test', machine);
  await same(p, '/conversations?limit=50&head=2&tail=2&includeEmpty=true', machine);

  const ids = new Map<string, number>();
  for (const s of sessions) ids.set(s.id, (ids.get(s.id) ?? 0) + 1);
  for (const [id] of ids) {
    await same(p, `/conversations/${id}`, machine);
    const raw = `/conversations/${id}?format=ndjson`;
    const [single, team] = await Promise.all([p.single(raw), p.team(raw)]);
    expect(team.status).toBe(single.status);
    // Records byte for byte: the file as pushed.
    expect(team.body.equals(single.body), id).toBe(true);
    await same(p, `/conversations/${id}/usage`, machine);
    await same(p, `/conversations/${id}/search?q=the`, machine);
  }
  for (const needle of NEEDLES) {
    for (const scope of ['all', 'messages', 'tools']) {
      const body = await same(p, `/search?q=${encodeURIComponent(needle)}&scope=${scope}&archived=all&limit=50`, machine);
      if (needle === 'the' && scope === 'all') expect(body.items.length).toBeGreaterThan(0);
    }
    await same(p, `/search?q=${encodeURIComponent(needle)}&limit=2&sort=updated`, machine);
  }
  for (const groupBy of GROUP_BY) {
    for (const archived of ['all', 'false']) {
      const body = await same(p, `/usage?groupBy=${groupBy}&archived=${archived}`, machine);
      expect(body.totals.totalTokens).toBeGreaterThan(0);
    }
  }
  await same(p, '/usage?groupBy=day&tz=Europe/Berlin&since=2025-03-02', machine);
}

describePg('team mode answers, machine by machine, what one machine answers over its home', () => {
  it('the real fixture home and a generated one (resumed, forked, archived, renamed, untitled)', async () => {
    const t = await pushedTeam();
    await expectSameAsOneMachine(t, 'alice');
    await expectSameAsOneMachine(t, 'bob');
  });

  it('a fork whose parent is gone: its session usage gives a copied response to the older carrier, as over one home', async () => {
    const team = await startTeam();
    const home = await tempHome();
    const PARENT = v7At('2025-10-02T09:00:00Z', 0x10);
    const T = (h: number, m: number) => `2025-10-02T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00.000Z`;
    const fork = (id: string, hour: number, copied: number, own: number) => {
      const parent = [
        usageRecord(T(9, 1), PARENT, 'resp_p1', u(500, 0, 50, 0)),
        usageRecord(T(9, 2), PARENT, 'resp_p2', u(700, 0, 100, 0)),
      ];
      const spec = { stamp: `2025-10-02T${hour}-00-00`, id, title: `fork ${hour}`, meta: { forked_from_id: PARENT } };
      const extra = [
        sessionMeta(T(9, 0), PARENT),
        ...parent.slice(0, copied),
        sessionMeta(T(hour, 0), id),
        turnContext(T(hour, 1), 'gpt-5', v7At(T(hour, 1), 0x30 + hour)),
        usageRecord(T(hour, 2), id, `resp_${hour}`, u(own, 0, 0, 0)),
      ];
      return { ...spec, extra };
    };
    const older = v7At('2025-10-02T10:00:00Z', 0x11);
    const newer = v7At('2025-10-02T11:00:00Z', 0x12);
    for (const spec of [fork(older, 10, 1, 300), fork(newer, 11, 2, 100)]) await writeSession(home, spec, envelopeLines(spec));
    await pushOnce(team, await team.token('push', 'hal'), home);
    await pushedUpkeep(team).upkeep.run(true, true);
    const t = { team, homes: { hal: home }, read: await team.token('read'), usage: '', push: '' };
    const p = pair(await appFor(home, true), t, 'hal');
    // older: its own 300 + the parent's first (550); newer: its own 100 + the parent's second (800).
    expect((await same(p, `/conversations/${older}/usage`, 'hal')).totals.totalTokens).toBe(850);
    expect((await same(p, `/conversations/${newer}/usage`, 'hal')).totals.totalTokens).toBe(900);
    await same(p, '/usage?groupBy=session', 'hal');
  });
});
