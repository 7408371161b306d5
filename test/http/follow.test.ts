import { appendFile, mkdir, open, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE, type Config } from '../../src/config.js';
import { buildTestApp, envelopeLines, rolloutRelPath, tempHome, uuidN, writeSession } from '../helper.js';
import { eventually, fdCount, httpGet, listen } from '../net.js';
import { SseClient, acceptedStream } from '../sse.js';

const STAMP = '2025-10-01T08-00-00';
const ID = uuidN(1);
const FOLLOW = `/conversations/${ID}/events`;

function seqRecord(seq: number) {
  const payload = { type: 'agent_message', seq, message: `line ${seq} ${'z'.repeat(seq % 97)}` };
  return { timestamp: '2025-10-01T08:00:01.000Z', type: 'event_msg', payload };
}
const seqLine = (seq: number) => `${JSON.stringify(seqRecord(seq))}\n`;

async function setup(overrides: Partial<Config> = {}) {
  const home = await tempHome();
  const rel = await writeSession(home, { stamp: STAMP, id: ID, title: 'followed' });
  const path = join(home, rel);
  const app = await buildTestApp(home, { live: { ...DEFAULT_LIVE, heartbeatMs: 200 }, ...overrides });
  const port = await listen(app);
  const follow = (query = '', headers: Record<string, string> = {}) => new SseClient(port, `${FOLLOW}${query}`, headers);
  return { home, rel, path, app, port, follow };
}

/** The records of a client's `record` events, parsed. */
const records = (c: SseClient) => c.named('record').map((e) => JSON.parse(e.data!));

/** Appends lines 1..n, each written in two parts (cut inside the line), pausing after some halves. */
async function writeSplit(path: string, from: number, to: number): Promise<void> {
  const handle = await open(path, 'a');
  try {
    for (let seq = from; seq <= to; seq++) {
      const text = seqLine(seq);
      const cut = 1 + ((seq * 7919) % (text.length - 1));
      await handle.write(text.slice(0, cut));
      if (seq % 5 === 0) await sleep(30); // the writer pauses mid-line
      await handle.write(text.slice(cut));
    }
  } finally {
    await handle.close();
  }
}

describe('GET /conversations/:id/events', () => {
  it('sends every complete line once as it is appended, never a half line; ids are the offsets just past each line', async () => {
    const { path, follow } = await setup();
    const base = (await readFile(path)).length;
    const c = follow();
    await c.until((x) => x.events.length > 0);
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['cache-control']).toBe('no-cache, private');
    expect(c.events[0]).toEqual({ event: null, id: String(base), data: null }); // from=end: where it starts
    await writeSplit(path, 1, 150);
    // A burst: many lines in one write.
    await appendFile(path, Array.from({ length: 150 }, (_, i) => seqLine(151 + i)).join(''));
    await c.until((x) => x.named('record').length >= 300);
    expect(records(c)).toEqual(Array.from({ length: 300 }, (_, i) => seqRecord(i + 1)));
    const bytes = await readFile(path);
    let offset = base;
    for (const [i, e] of c.named('record').entries()) {
      offset += Buffer.byteLength(seqLine(i + 1));
      expect(e.id).toBe(String(offset));
      expect(bytes[offset - 1]).toBe(0x0a);
    }
    expect(offset).toBe(bytes.length);
    c.close();
  });

  it('from=start sends the whole file; invalid lines are skipped but move the offset; heartbeats are comments', async () => {
    const { path, follow } = await setup();
    await appendFile(path, `not json\n${seqLine(1)}[1,2]\n\n${seqLine(2)}`);
    const c = follow('?from=start');
    const base = envelopeLines({ stamp: STAMP, id: ID, title: 'followed' });
    await c.until((x) => x.named('record').length === base.length + 2 && x.comments > 0);
    expect(c.events[0]!.id).toBe('0');
    expect(records(c)).toEqual([...base, seqRecord(1), seqRecord(2)]);
    expect(c.lastId).toBe(String((await readFile(path)).length));
    c.close();
  });

  it('a line over the 64 KiB hold bound is sent exactly; a long line that is not an object is skipped', async () => {
    const { path, follow } = await setup();
    const long = { type: 'event_msg', payload: { type: 'agent_message', message: `big ${'é'.repeat(150_000)}` } };
    const longText = JSON.stringify(long);
    const c = follow('?from=end');
    await c.until((x) => x.events.length > 0);
    await appendFile(path, `${longText}\n"${'x'.repeat(100_000)}"\n${seqLine(1)}`);
    await c.until((x) => x.named('record').length === 2);
    const [first, second] = c.named('record');
    expect(first!.data).toBe(longText);
    expect(JSON.parse(second!.data!)).toEqual(seqRecord(1));
    expect(second!.id).toBe(String((await readFile(path)).length));
    c.close();
  });

  it('from=end starts after the last complete line: a line half written when the client came is sent once complete', async () => {
    const { path, follow } = await setup();
    const text = seqLine(1);
    await appendFile(path, text.slice(0, 10));
    const c = follow('?from=end');
    await c.until((x) => x.events.length > 0);
    await appendFile(path, text.slice(10));
    await c.until((x) => x.named('record').length === 1);
    expect(records(c)).toEqual([seqRecord(1)]);
    c.close();
  });

  it('a byte offset starts there; Last-Event-ID wins over from', async () => {
    const { path, follow } = await setup();
    await appendFile(path, seqLine(1) + seqLine(2));
    const size = (await readFile(path)).length;
    const at = size - Buffer.byteLength(seqLine(2));
    const c = follow(`?from=${at}`);
    await c.until((x) => x.named('record').length === 1);
    expect(records(c)).toEqual([seqRecord(2)]);
    c.close();
    const d = follow('?from=start', { 'last-event-id': String(at) });
    await c.until(() => d.named('record').length === 1);
    expect(records(d)).toEqual([seqRecord(2)]);
    d.close();
  });

  it('reconnects with Last-Event-ID while the writer writes: every line exactly once, in order', async () => {
    const { path, follow } = await setup();
    const TOTAL = 400;
    const writer = writeSplit(path, 1, TOTAL);
    const got: unknown[] = [];
    let lastId: string | null = null;
    for (let round = 0; round < 8; round++) {
      const c = follow('?from=start', lastId === null ? {} : { 'last-event-id': lastId });
      await c.until((x) => records(x).length >= 20);
      c.close();
      got.push(...records(c));
      lastId = c.lastId;
    }
    await writer;
    const c = follow('', { 'last-event-id': lastId! });
    await c.until(() => got.length + records(c).length === TOTAL + 5);
    got.push(...records(c));
    c.close();
    const written = Array.from({ length: TOTAL }, (_, i) => seqRecord(i + 1));
    expect(got).toEqual([...envelopeLines({ stamp: STAMP, id: ID, title: 'followed' }), ...written]);
  });

  it('a truncated file sends reset (id 0) and starts over from the beginning', async () => {
    const { path, follow } = await setup();
    const c = follow();
    await c.until((x) => x.events.length > 0);
    await appendFile(path, seqLine(1));
    await c.until((x) => x.named('record').length === 1);
    await truncate(path, 0);
    await c.until((x) => x.named('reset').length === 1);
    await appendFile(path, seqLine(7));
    await c.until((x) => x.named('record').length === 2);
    const reset = c.named('reset')[0]!;
    expect([reset.id, JSON.parse(reset.data!)]).toEqual(['0', { reason: 'truncated' }]);
    expect(records(c)[1]).toEqual(seqRecord(7));
    expect(c.lastId).toBe(String(Buffer.byteLength(seqLine(7))));
    c.close();
  });

  it('a file replaced by another (renamed over it) sends reset, after the lines written to the old one', async () => {
    const { home, path, follow } = await setup();
    const c = follow();
    await c.until((x) => x.events.length > 0);
    await appendFile(path, seqLine(1));
    const tmp = join(home, 'replacement.tmp');
    await writeFile(tmp, seqLine(50) + seqLine(51));
    await rename(tmp, path);
    await c.until((x) => x.named('record').length === 3);
    expect(c.events.filter((e) => e.event !== null).map((e) => e.event)).toEqual(['record', 'reset', 'record', 'record']);
    expect(JSON.parse(c.named('reset')[0]!.data!)).toEqual({ reason: 'replaced' });
    expect(records(c)).toEqual([seqRecord(1), seqRecord(50), seqRecord(51)]);
    c.close();
  });

  it('a session archived (renamed into archived_sessions/) sends its last lines, then gone, and the stream ends', async () => {
    const { home, path, follow } = await setup();
    const c = follow();
    await c.until((x) => x.events.length > 0);
    await appendFile(path, seqLine(1));
    const archived = rolloutRelPath(STAMP, ID, true);
    await mkdir(join(home, 'archived_sessions'), { recursive: true });
    await rename(path, join(home, archived));
    await c.until((x) => x.ended);
    expect(c.complete).toBe(true);
    expect(records(c)).toEqual([seqRecord(1)]);
    const gone = c.named('gone');
    expect(gone).toHaveLength(1);
    expect(JSON.parse(gone[0]!.data!)).toEqual({ reason: 'archived', path: archived });
    // Following it again finds it where it went, and resumes exactly.
    const d = follow('', { 'last-event-id': c.lastId! });
    await d.until((x) => x.events.length > 0);
    await appendFile(join(home, archived), seqLine(2));
    await d.until((x) => x.named('record').length === 1);
    expect(records(d)).toEqual([seqRecord(2)]);
    d.close();
  });

  it('a removed session sends gone (removed)', async () => {
    const { path, follow } = await setup();
    const c = follow();
    await c.until((x) => x.events.length > 0);
    await rm(path);
    await c.until((x) => x.ended);
    expect(c.named('gone').map((e) => JSON.parse(e.data!))).toEqual([{ reason: 'removed', path: null }]);
  });

  it('a stale Last-Event-ID (past the end of a file that was truncated) gets reset, then everything from 0', async () => {
    const { path, follow } = await setup();
    const size = (await readFile(path)).length;
    await writeFile(path, seqLine(1));
    const c = follow('', { 'last-event-id': String(size) });
    await c.until((x) => x.named('record').length === 1);
    expect(c.events.map((e) => [e.event, e.id])).toEqual([[null, '0'], ['reset', '0'], ['record', String(Buffer.byteLength(seqLine(1)))]]);
    // An offset inside a line is stale too (the file changed under the client).
    const d = follow('', { 'last-event-id': '3' });
    await d.until((x) => x.named('record').length === 1);
    expect(JSON.parse(d.named('reset')[0]!.data!)).toEqual({ reason: 'replaced' });
    c.close();
    d.close();
  });

  it.each([
    ['?from=abc', {}, 400, 'INVALID_QUERY'],
    ['?from=-1', {}, 400, 'INVALID_QUERY'],
    ['?from=01', {}, 400, 'INVALID_QUERY'],
    ['?from=1.5', {}, 400, 'INVALID_QUERY'],
    ['?from=99999999999999999', {}, 400, 'INVALID_QUERY'],
    ['?from=3', {}, 400, 'INVALID_QUERY'], // not the start of a line
    ['?from=999999', {}, 400, 'INVALID_QUERY'], // past the end
    ['?since=2025-01-01', {}, 400, 'INVALID_QUERY'],
    ['?token=x', {}, 400, 'INVALID_QUERY'],
    ['', { 'last-event-id': 'abc' }, 400, 'INVALID_QUERY'],
    ['', { 'last-event-id': '-5' }, 400, 'INVALID_QUERY'],
  ])('GET %s %j → %i %s', async (query, headers, status, code) => {
    const { app } = await setup();
    const res = await app.inject({ url: `${FOLLOW}${query}`, headers });
    expect([res.statusCode, res.json().code]).toEqual([status, code]);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('a bad, unknown or ambiguous id: 400 INVALID_ID, 404 NOT_FOUND, 409 AMBIGUOUS_ID', async () => {
    const { home, app } = await setup();
    expect((await app.inject('/conversations/nope/events')).json().code).toBe('INVALID_ID');
    expect((await app.inject(`/conversations/${uuidN(9)}/events`)).json().code).toBe('NOT_FOUND');
    await writeSession(home, { stamp: '2025-10-02T08-00-00', id: ID, title: 'twin' });
    const res = await app.inject(FOLLOW);
    expect([res.statusCode, res.json().code]).toEqual([409, 'AMBIGUOUS_ID']);
  });

  it('200 concurrent followers of one session under appends lose no line', async () => {
    const { path, follow } = await setup({ maxStreams: 250 });
    const clients = Array.from({ length: 200 }, () => follow());
    await Promise.all(clients.map((c) => c.until((x) => x.events.length > 0, 30_000)));
    const TOTAL = 300;
    for (let seq = 1; seq <= TOTAL; seq += 10) {
      await appendFile(path, Array.from({ length: 10 }, (_, i) => seqLine(seq + i)).join(''));
      await sleep(5);
    }
    const expected = Array.from({ length: TOTAL }, (_, i) => seqRecord(i + 1));
    await Promise.all(clients.map((c) => c.until((x) => x.named('record').length >= TOTAL, 60_000)));
    for (const c of clients) {
      expect(records(c)).toEqual(expected);
      c.close();
    }
  }, 120_000);

  it('a client that stops reading holds no more than its buffer: the file is read as it reads, and nothing is lost', async () => {
    const { app, path, follow } = await setup();
    const c = follow();
    await c.until((x) => x.events.length > 0);
    c.pause();
    const pad = 'p'.repeat(1000);
    const line = (n: number) => `${JSON.stringify({ type: 'pad', n, pad })}\n`;
    for (let k = 0; k < 30; k++) await appendFile(path, Array.from({ length: 1000 }, (_, i) => line(k * 1000 + i)).join('')); // ~30 MB
    await sleep(1000);
    // What waits for the client in the server: about one read's worth, not the 30 MB written.
    expect(app.eventStreams.waiting).toBeLessThan(1024 * 1024);
    c.resume();
    await c.until((x) => x.named('record').length === 30_000, 60_000);
    expect(records(c).map((r) => r.n)).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
    c.close();
  }, 90_000);

  it('a client that goes away releases its stream slot and its file', async () => {
    const { follow } = await setup({ maxStreams: 1 });
    const fds = fdCount();
    const c = follow();
    await c.until((x) => x.events.length > 0);
    c.close();
    const d = await acceptedStream(() => follow());
    expect(d.status).toBe(200);
    d.close();
    expect(await eventually(() => fdCount(), (n) => n <= fds, 10_000)).toBeLessThanOrEqual(fds);
  });

  it('is never compressed, and has no HEAD route', async () => {
    const { port, app } = await setup();
    const c = new SseClient(port, FOLLOW, { 'accept-encoding': 'gzip, br' });
    await c.until((x) => x.events.length > 0);
    expect(c.headers['content-encoding']).toBeUndefined();
    c.close();
    expect((await app.inject({ method: 'HEAD', url: FOLLOW })).statusCode).toBe(404);
    expect((await httpGet(port, '/healthz')).status).toBe(200);
  });
});
