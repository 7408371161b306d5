import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE, type Config } from '../../src/config.js';
import { buildTestApp, rolloutRelPath, tempHome, uuidN, writeLines, writeSession, type SessionSpec } from '../helper.js';
import { eventually, listen } from '../net.js';
import { SseClient, acceptedStream, stalledClient } from '../sse.js';

const A: SessionSpec = { stamp: '2025-10-01T08-00-00', id: uuidN(1), title: 'alpha', cwd: '/home/u/a', source: 'cli' };
const B: SessionSpec = { stamp: '2025-10-01T09-00-00', id: uuidN(2), title: 'beta', cwd: '/home/u/b', source: 'exec', provider: 'azure' };
const C: SessionSpec = { stamp: '2025-10-02T10-00-00', id: uuidN(3), title: 'gamma', cwd: '/home/u/a', source: 'cli' };
const TOKEN = 't'.repeat(32);
const LINE = `${JSON.stringify({ timestamp: 't', type: 'event_msg', payload: { type: 'agent_message', message: 'more' } })}\n`;

interface Change {
  change: string;
  session: { id: string; path: string; archived: boolean; name: string | null; title: string | null; sizeBytes: number };
}

const changes = (c: SseClient): Change[] => c.named('session').map((e) => JSON.parse(e.data!));
const kinds = (c: SseClient) => changes(c).map((x) => `${x.change} ${x.session.id.slice(-2)}`);

async function setup(overrides: Partial<Config> = {}, indexed = false, beforeListen: (app: FastifyInstance) => void = () => {}) {
  const home = await tempHome();
  for (const spec of [A, B]) await writeSession(home, spec);
  const indexPath = indexed ? join(await tempHome(), 'index.sqlite') : null;
  const app = await buildTestApp(home, { indexPath, live: { ...DEFAULT_LIVE, heartbeatMs: 200 }, ...overrides });
  beforeListen(app);
  const port = await listen(app);
  const events = (query = '', headers: Record<string, string> = {}) => new SseClient(port, `/events${query}`, headers);
  return { home, app, port, events, path: (spec: SessionSpec) => join(home, rolloutRelPath(spec.stamp, spec.id, spec.archived)) };
}

describe.each([
  ['without an index', false],
  ['with the SQLite index', true],
])('GET /events %s', (_name, indexed) => {
  it('announces created, updated, archived, unarchived, renamed and removed, each with the summary; ids go up by one', async () => {
    const { home, events, path } = await setup({}, indexed);
    const c = events('?archived=all');
    await c.until((x) => x.events.length > 0);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const step = async (n: number, act: () => Promise<unknown>) => {
      await act();
      await c.until((x) => x.named('session').length >= n);
    };
    await step(1, () => writeSession(home, C));
    await step(2, () => appendFile(path(A), LINE));
    await mkdir(join(home, 'archived_sessions'), { recursive: true });
    const archivedB = join(home, rolloutRelPath(B.stamp, B.id, true));
    await step(3, () => rename(path(B), archivedB));
    await step(4, () => rename(archivedB, path(B)));
    const names = [{ id: A.id, thread_name: 'My A', updated_at: '2025-10-03T00:00:00Z' }];
    await step(5, () => writeLines(join(home, 'session_index.jsonl'), names));
    await step(6, () => rm(path(C)));
    expect(kinds(c)).toEqual(['created 03', 'updated 01', 'archived 02', 'unarchived 02', 'renamed 01', 'removed 03']);
    const [created, updated, archived, unarchived, renamed, removed] = changes(c);
    expect(created!.session).toMatchObject({ id: C.id, title: 'gamma', archived: false, name: null });
    expect(updated!.session.sizeBytes).toBeGreaterThan(0);
    expect(archived!.session).toMatchObject({ id: B.id, archived: true, path: rolloutRelPath(B.stamp, B.id, true) });
    expect(unarchived!.session).toMatchObject({ id: B.id, archived: false, path: rolloutRelPath(B.stamp, B.id) });
    expect(renamed!.session).toMatchObject({ id: A.id, name: 'My A', title: 'alpha' });
    expect(removed!.session).toMatchObject({ id: C.id, title: 'gamma', path: rolloutRelPath(C.stamp, C.id) });
    const ids = c.named('session').map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    expect(ids[0]).toBe(Number(c.events[0]!.id) + 1);
    c.close();
  });

  it('a file that appears before it is a session is announced as created once it becomes one', async () => {
    const { home, events, path } = await setup({}, indexed);
    const c = events();
    await c.until((x) => x.events.length > 0);
    await mkdir(join(path(C), '..'), { recursive: true });
    await writeFile(path(C), '');
    await c.until((x) => x.comments >= 3); // the empty file has been seen by now (200 ms heartbeats)
    await writeSession(home, C);
    await c.until((x) => x.named('session').length >= 1);
    expect(kinds(c)[0]).toBe('created 03');
    c.close();
  });

  it('Last-Event-ID replays exactly the missed changes; an id the log does not reach gets reset with the newest id', async () => {
    const { events, path } = await setup({}, indexed);
    const all = events();
    const first = events();
    await all.until((x) => x.events.length > 0);
    await appendFile(path(A), LINE);
    await first.until((x) => x.named('session').length === 1);
    first.close();
    for (let i = 0; i < 3; i++) {
      await appendFile(path(i % 2 === 0 ? B : A), LINE);
      await all.until((x) => x.named('session').length === i + 2);
    }
    const again = events('', { 'last-event-id': first.lastId! });
    await again.until((x) => x.named('session').length === 3);
    expect(again.named('session')).toEqual(all.named('session').slice(1));
    for (const stale of ['1', String(Number(all.lastId) + 1000)]) {
      const old = events('', { 'last-event-id': stale });
      await old.until((x) => x.named('reset').length === 1);
      expect(old.events[0]).toEqual({ event: 'reset', id: all.lastId, data: '{"reason":"expired"}' });
      old.close();
    }
    all.close();
    again.close();
  });

  it("takes the list's filters: cwd, source, provider and archived", async () => {
    const { home, events, path } = await setup({}, indexed);
    const byCwd = events('?cwd=/home/u/a/');
    const bySource = events('?source=exec');
    const byProvider = events('?provider=azure&provider=nobody');
    const archivedOnly = events('?archived=true');
    const clients = [byCwd, bySource, byProvider, archivedOnly];
    await Promise.all(clients.map((c) => c.until((x) => x.events.length > 0)));
    await appendFile(path(A), LINE);
    await byCwd.until((x) => x.named('session').length === 1);
    await appendFile(path(B), LINE);
    await bySource.until((x) => x.named('session').length === 1);
    await mkdir(join(home, 'archived_sessions'), { recursive: true });
    await rename(path(B), join(home, rolloutRelPath(B.stamp, B.id, true)));
    await archivedOnly.until((x) => x.named('session').length === 1);
    await byProvider.until((x) => x.named('session').length === 2);
    await appendFile(join(home, rolloutRelPath(B.stamp, B.id, true)), LINE);
    await archivedOnly.until((x) => x.named('session').length === 2);
    await writeSession(home, C);
    await byCwd.until((x) => x.named('session').length === 2);
    expect(kinds(byCwd)).toEqual(['updated 01', 'created 03']);
    // An active-view subscriber still hears that B left its view.
    expect(kinds(bySource)).toEqual(['updated 02', 'archived 02']);
    expect(kinds(byProvider)).toEqual(['updated 02', 'archived 02']);
    expect(kinds(archivedOnly)).toEqual(['archived 02', 'updated 02']);
    for (const c of clients) c.close();
  });
});

describe('GET /events limits and errors', () => {
  it.each([
    ['?since=2025-01-01', {}],
    ['?q=x', {}],
    ['?token=abc', {}],
    ['?source=bogus', {}],
    ['?archived=maybe', {}],
    ['?cwd=', {}],
    ['', { 'last-event-id': 'abc' }],
    ['', { 'last-event-id': '1.5' }],
    ['', { 'last-event-id': '99999999999999999' }],
  ])('GET /events%s %j → 400 INVALID_QUERY', async (query, headers) => {
    const { app } = await setup();
    const res = await app.inject({ url: `/events${query}`, headers });
    expect([res.statusCode, res.json().code]).toEqual([400, 'INVALID_QUERY']);
  });

  it('needs the bearer header like every route: a token in the URL is never accepted', async () => {
    const { port } = await setup({ token: TOKEN });
    for (const path of ['/events', `/conversations/${A.id}/events`]) {
      for (const [query, headers] of [['', {}], [`?token=${TOKEN}`, {}], ['', { authorization: `Bearer ${'x'.repeat(32)}` }]] as const) {
        const c = new SseClient(port, `${path}${query}`, headers);
        await c.until((x) => x.ended);
        expect([c.status, JSON.parse(c.text).code]).toEqual([401, 'UNAUTHORIZED']);
      }
      const ok = new SseClient(port, path, { authorization: `Bearer ${TOKEN}` });
      await ok.until((x) => x.events.length > 0);
      expect(ok.status).toBe(200);
      ok.close();
    }
  });

  it('at most --max-streams streams of both kinds: beyond, 503 SERVICE_UNAVAILABLE with Retry-After; a freed slot is reused', async () => {
    const { port, events } = await setup({ maxStreams: 2 });
    const one = events();
    const two = new SseClient(port, `/conversations/${A.id}/events`);
    await Promise.all([one, two].map((c) => c.until((x) => x.events.length > 0)));
    for (const path of ['/events', `/conversations/${A.id}/events`]) {
      const refused = new SseClient(port, path);
      await refused.until((x) => x.ended);
      expect([refused.status, refused.headers['retry-after'], JSON.parse(refused.text).code]).toEqual([503, '5', 'SERVICE_UNAVAILABLE']);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    one.close();
    const three = await acceptedStream(() => events());
    expect(three.status).toBe(200);
    two.close();
    three.close();
  });

  it('drops a subscriber that stops reading once its buffer fills; the others get everything; memory stays bounded', async () => {
    const home = await tempHome();
    const big = 'x'.repeat(20_000); // a long title: every event is ~20 KB
    const specs = Array.from({ length: 100 }, (_, i) => ({ stamp: '2025-10-01T08-00-00', id: uuidN(100 + i), title: `${big} ${i}` }));
    for (const spec of specs) await writeSession(home, spec);
    const app = await buildTestApp(home, { maxStreams: 2, live: { ...DEFAULT_LIVE, streamBufferBytes: 64 * 1024 } });
    const port = await listen(app);
    const reader = new SseClient(port, '/events');
    await reader.until((x) => x.events.length > 0);
    const stuck = stalledClient(port, '/events');
    await eventually(() => app.eventStreams.size, (n) => n === 2);
    let rounds = 0;
    while (app.eventStreams.size === 2 && rounds < 40) {
      rounds += 1;
      await Promise.all(specs.map((s) => appendFile(join(home, rolloutRelPath(s.stamp, s.id)), LINE)));
      await reader.until((x) => x.named('session').length === rounds * specs.length, 30_000);
      expect(app.eventStreams.waiting).toBeLessThan(2 * (64 * 1024 + 64 * 1024));
    }
    expect(rounds).toBeLessThan(40);
    expect(app.eventStreams.size).toBe(1); // the reader's
    stuck.socket.resume(); // it finds its connection cut
    await stuck.closed;
    reader.close();
  }, 120_000);
});

describe('shutdown', () => {
  it('app.close() ends every stream cleanly and promptly; a stream asked for meanwhile gets 503 SERVICE_UNAVAILABLE', async () => {
    let during: Promise<SseClient> | null = null;
    let port = 0;
    const { app, events, port: listening } = await setup({}, false, (a) =>
      // Runs after the app's own preClose hook (which ends the streams), before the server stops accepting.
      a.addHook('preClose', async () => {
        during = (async () => {
          const c = new SseClient(port, '/events');
          await c.until((x) => x.ended);
          return c;
        })();
        await during;
      }),
    );
    port = listening;
    const changesStream = events();
    const follower = new SseClient(port, `/conversations/${A.id}/events`);
    await Promise.all([changesStream, follower].map((c) => c.until((x) => x.events.length > 0)));
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    await Promise.all([changesStream, follower].map((c) => c.until((x) => x.ended)));
    expect([changesStream.complete, follower.complete]).toEqual([true, true]);
    const refused = await during!;
    expect([refused.status, JSON.parse(refused.text).code, refused.headers['retry-after']]).toEqual([503, 'SERVICE_UNAVAILABLE', '5']);
  });
});
