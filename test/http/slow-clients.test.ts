import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, type ServerTimeouts } from '../../src/config.js';
import { buildTestApp, rolloutRelPath, tempHome, uuidN, writeSession } from '../helper.js';
import { eventually, fdCount, listen } from '../net.js';

/** A raw connection that records what the server sends and when it closes. */
function rawConnection(port: number) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const started = performance.now();
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - started)));
  return { socket, closed, received: () => received };
}

async function appWith(timeouts: Partial<ServerTimeouts>) {
  const app = await buildTestApp(await tempHome(), { timeouts: { ...DEFAULT_TIMEOUTS, ...timeouts } });
  return { app, port: await listen(app) };
}

describe('server timeouts against slow clients', () => {
  it('has sensible defaults on the Node server', async () => {
    const { app } = await appWith({});
    expect(DEFAULT_TIMEOUTS).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, idleSocketMs: 60_000 });
    expect(app.server.headersTimeout).toBe(10_000);
    expect(app.server.requestTimeout).toBe(30_000);
    expect(app.server.keepAliveTimeout).toBe(5_000);
    expect(app.server.timeout).toBe(60_000);
  });

  it('a client sending its headers byte by byte is cut off after headersMs with 408', async () => {
    const { port } = await appWith({ headersMs: 400, requestMs: 2_000, idleSocketMs: 5_000 });
    const conn = rawConnection(port);
    const head = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'s'.repeat(500)}`;
    let sent = 0;
    // One byte every 20 ms: never idle long enough for the idle-socket timeout, never finished.
    const drip = setInterval(() => {
      if (conn.socket.destroyed || sent >= head.length) return;
      conn.socket.write(head[sent] as string);
      sent += 1;
    }, 20);
    try {
      const ms = await conn.closed;
      expect(ms).toBeGreaterThanOrEqual(380);
      expect(ms).toBeLessThan(1_500);
      expect(sent).toBeGreaterThan(10);
      expect(sent).toBeLessThan(head.length);
      expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it('a connection that sends nothing is closed after idleSocketMs', async () => {
    const { port } = await appWith({ idleSocketMs: 300 });
    const conn = rawConnection(port);
    const ms = await conn.closed;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2_000);
  });

  it('an idle keep-alive connection is closed after keepAliveMs, and served normally before', async () => {
    const { port } = await appWith({ keepAliveMs: 300 });
    const conn = rawConnection(port);
    conn.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const ms = await conn.closed;
    expect(conn.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\{"status":"ok"\}$/);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2_000);
  });

  it('a slow header drip does not stop other clients from being served', async () => {
    const { port } = await appWith({ headersMs: 1_000, requestMs: 2_000 });
    const slow = Array.from({ length: 50 }, () => rawConnection(port));
    for (const c of slow) c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const closedAfter = await Promise.all(slow.map((c) => c.closed));
    expect(Math.max(...closedAfter)).toBeLessThan(3_000);
  });

  it('a client that stops reading a stream is cut off after idleSocketMs, not twice that (item 10), and its file is closed', async () => {
    const home = await tempHome();
    const stamp = '2025-01-01T00-00-00';
    const rel = await writeSession(home, { stamp, id: uuidN(1), title: 'big' });
    // 40 MB: far more than the socket buffers on both sides hold.
    const out = createWriteStream(join(home, rel), { flags: 'a' });
    const line = `${JSON.stringify({ type: 'event_msg', payload: { pad: 'p'.repeat(1_000_000) } })}\n`;
    for (let i = 0; i < 40; i++) if (!out.write(line)) await once(out, 'drain');
    out.end();
    await once(out, 'close');
    expect(rolloutRelPath(stamp, uuidN(1))).toBe(rel);
    const idleSocketMs = 2_000;
    const app = await buildTestApp(home, { timeouts: { ...DEFAULT_TIMEOUTS, idleSocketMs } });
    const port = await listen(app);
    const fdsBefore = fdCount();
    const conn = rawConnection(port);
    let firstByte = 0;
    conn.socket.once('data', () => {
      firstByte = performance.now();
      conn.socket.pause(); // and never read again
    });
    conn.socket.write(`GET /conversations/${uuidN(1)}?format=ndjson HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    // A paused client does not see the close: watch the server's side of the connection.
    const connections = () => new Promise<number>((resolve) => app.server.getConnections((_err, n) => resolve(n)));
    await eventually(connections, (n) => n === 1);
    await eventually(connections, (n) => n === 0, 10_000);
    const stalledFor = performance.now() - firstByte;
    conn.socket.destroy();
    // Node's own timeout, postponed once, closed it after about 2 × idleSocketMs.
    expect(stalledFor).toBeGreaterThanOrEqual(idleSocketMs - 100);
    expect(stalledFor).toBeLessThan(1.6 * idleSocketMs);
    expect(await eventually(fdCount, (n) => n <= fdsBefore)).toBeLessThanOrEqual(fdsBefore);
  });

  it('a connection whose request the service is still working on is not idle; a connection with nothing on it is', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'waits' });
    const app = await buildTestApp(home, { timeouts: { ...DEFAULT_TIMEOUTS, idleSocketMs: 300 }, memoryWaitMs: 120_000 });
    const port = await listen(app);
    // The whole request pool taken: the request waits for its share, sending nothing meanwhile.
    const { requests } = app.memoryBudget;
    const hold = await requests.acquire(requests.capacity);
    const busy = rawConnection(port);
    let busyClosed = false;
    void busy.closed.then(() => (busyClosed = true));
    busy.socket.write(`GET /conversations/${uuidN(1)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    await eventually(() => requests.waiters, (n) => n > 0, 10_000);
    // Opened after the busy connection last moved a byte: idle longer than idleSocketMs once it is closed.
    const idle = rawConnection(port);
    await idle.closed;
    expect(busyClosed).toBe(false);
    hold();
    await busy.closed;
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
  it("a close ends the connections with no request under way, not idleSocketMs later; one under way gets its whole answer", async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'waits' });
    // Ten minutes: no timeout of the server's ends a connection below while the test runs.
    const app = await buildTestApp(home, { timeouts: { ...DEFAULT_TIMEOUTS, idleSocketMs: 600_000 }, memoryWaitMs: 120_000 });
    // One more that sends nothing, opened once the close has begun (after the app's own first hook).
    let late: ReturnType<typeof rawConnection> | undefined;
    app.addHook('preClose', async () => {
      const accepted = once(app.server, 'connection');
      late = rawConnection(port);
      await accepted;
    });
    const port = await listen(app);
    const { requests } = app.memoryBudget;
    const hold = await requests.acquire(requests.capacity);
    const busy = rawConnection(port);
    busy.socket.write(`GET /conversations/${uuidN(1)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await eventually(() => requests.waiters, (n) => n > 0, 10_000);
    // A browser's spare connection (nothing sent), a head cut short, and a kept-alive one between requests.
    const silent = rawConnection(port);
    const partial = rawConnection(port);
    partial.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const served = rawConnection(port);
    served.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await eventually(served.received, (r) => r.endsWith('{"status":"ok"}'));
    const connections = () => new Promise<number>((resolve) => app.server.getConnections((_err, n) => resolve(n)));
    expect(await eventually(connections, (n) => n === 4)).toBe(4);
    // Node's close let the first two hold it for idleSocketMs: the test's timeout failed it.
    const closed = app.close();
    await Promise.all([silent.closed, partial.closed, served.closed]);
    await eventually(() => late, (c) => c !== undefined);
    await late!.closed;
    let busyClosed = false;
    void busy.closed.then(() => (busyClosed = true));
    await new Promise((r) => setImmediate(r));
    expect(busyClosed).toBe(false);
    hold();
    await closed;
    await busy.closed;
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(silent.received()).toBe('');
  });
});
