import { connect } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp, copyOfRealHome, tempHome, uuidN, writeSession } from '../helper.js';
import { listen } from '../net.js';

// Issue 9, round two: what hostile clients got out of the service.
const ID = '01a20b7d-13fb-7791-b243-2fd234d6a429';
const PROBLEM = 'application/problem+json; charset=utf-8';

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect([res.statusCode, res.headers['content-type'], res.json().code, res.json().status]).toEqual([status, PROBLEM, code, status]);
}

/** Sends raw bytes on a fresh connection; resolves with everything the server sent before it closed. */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
    socket.write(bytes);
    setTimeout(() => socket.end(), 2_000).unref();
  });
}

/** The status line and the JSON body of a raw HTTP/1.1 response. */
function parseRaw(response: string): { status: number; contentType: string | undefined; body: { code?: string } } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1];
  return { status, contentType, body: body === '' ? {} : JSON.parse(body) };
}

describe('5xx from client input are 4xx problem+json now (item 7)', () => {
  it('a path that climbs out of the docs files (sent as is) → 403/404 problem+json, not logged as a server error', async () => {
    const logs: string[] = [];
    const app = await buildTestApp(await tempHome(), {}, logs);
    const port = await listen(app);
    for (const path of ['/docs/static/../x', '/docs/static/../../package.json', '/docs/static/%2e%2e/%2e%2e/package.json']) {
      const res = parseRaw(await raw(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      expect([403, 404]).toContain(res.status);
      expect(res.contentType).toBe(PROBLEM);
      expect(res.body.code).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
    }
    expect(logs.map((l) => JSON.parse(l)).filter((l) => l.level >= 50)).toEqual([]);
  });

  it('a 1.1 MB request body to any path → 413 CONTENT_TOO_LARGE, not logged as a server error', async () => {
    const logs: string[] = [];
    const app = await buildTestApp(await tempHome(), {}, logs);
    const body = Buffer.alloc(1_100_000, 0x61);
    for (const url of ['/', '/conversations', '/conversations/' + uuidN(1), '/nope']) {
      for (const type of ['application/json', 'text/plain']) {
        const res = await app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': type } });
        expectProblem(res, 413, 'CONTENT_TOO_LARGE');
      }
    }
    expect(logs.map((l) => JSON.parse(l)).filter((l) => l.level >= 50)).toEqual([]);
  });

  it('other methods on the routes → 404 problem+json', async () => {
    const app = await buildTestApp(await tempHome());
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
      expectProblem(await app.inject({ method, url: '/conversations' }), 404, 'NOT_FOUND');
    }
  });
});

describe('errors Node and plugins raise are problem+json (item 9)', () => {
  it('headers over 16 KiB → 431 HEADERS_TOO_LARGE', async () => {
    const app = await buildTestApp(await tempHome());
    const port = await listen(app);
    const res = parseRaw(await raw(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`));
    expect([res.status, res.contentType, res.body.code]).toEqual([431, PROBLEM, 'HEADERS_TOO_LARGE']);
  });

  it('malformed requests → 400 INVALID_QUERY', async () => {
    const app = await buildTestApp(await tempHome());
    const port = await listen(app);
    for (const request of [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n',
    ]) {
      const res = parseRaw(await raw(port, request));
      expect([res.status, res.contentType, res.body.code]).toEqual([400, PROBLEM, 'INVALID_QUERY']);
    }
  });

  it('an invalid CORS preflight → 400 problem+json, not text/plain', async () => {
    const app = await buildTestApp(await tempHome(), { corsOrigins: ['https://dash.example'] });
    expectProblem(await app.inject({ method: 'OPTIONS', url: '/conversations' }), 400, 'INVALID_QUERY');
    expectProblem(await app.inject({ method: 'OPTIONS', url: '/conversations', headers: { origin: 'https://dash.example' } }), 400, 'INVALID_QUERY');
  });
});

describe('requests Node answered itself, without Fastify (red team)', () => {
  it('an unknown Expect, an HTTP/1.1 request without Host, CONNECT → problem+json, not a bare 417/400 or a dropped socket', async () => {
    const app = await buildTestApp(await tempHome());
    const port = await listen(app);
    const cases: [string, number, string][] = [
      ['GET /conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\n\r\n', 400, 'INVALID_QUERY'],
      ['GET /conversations HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'INVALID_QUERY'],
      ['GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'INVALID_QUERY'],
      ['CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 404, 'NOT_FOUND'],
    ];
    for (const [request, status, code] of cases) {
      const res = parseRaw(await raw(port, request));
      expect([res.status, res.contentType, res.body.code]).toEqual([status, PROBLEM, code]);
    }
    // HTTP/1.0 may leave Host out: it meets the Host allow-list (403), and a 100-continue still gets its 100.
    expect(parseRaw(await raw(port, 'GET /conversations HTTP/1.0\r\n\r\n')).body.code).toBe('FORBIDDEN');
    const continued = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });
});

describe('Vary with CORS (item 8)', () => {
  it('GET /conversations/:id keeps Vary: Origin and adds Accept', async () => {
    const app = await buildTestApp(await copyOfRealHome(), { corsOrigins: ['https://dash.example'] });
    for (const format of ['', '?format=ndjson']) {
      const res = await app.inject({ url: `/conversations/${ID}${format}`, headers: { origin: 'https://dash.example' } });
      expect(res.statusCode).toBe(200);
      const vary = String(res.headers.vary).split(',').map((v) => v.trim().toLowerCase());
      expect(vary.sort()).toEqual(['accept', 'origin']);
    }
  });
});

describe('query integers are strictly decimal', () => {
  const lenient = ['limit=0x10', 'limit=1e1', 'limit=%201', 'limit=1%20', 'limit=+1', 'limit=1.0', 'limit=', 'head=-0', 'tail=0b1'];
  lenient.push('limit=1&limit=2');
  it.each(lenient)(
    '%s → 400 INVALID_QUERY',
    async (query) => {
      const app = await buildTestApp(await tempHome());
      const res = await app.inject(`/conversations?${query}`);
      expectProblem(res, 400, 'INVALID_QUERY');
    },
  );

  it('plain digits still work, leading zeros included, and the range is still checked', async () => {
    const home = await tempHome();
    for (let i = 1; i <= 3; i++) await writeSession(home, { stamp: `2025-01-0${i}T00-00-00`, id: uuidN(i), title: `t${i}` });
    const app = await buildTestApp(home);
    expect((await app.inject('/conversations?limit=2&head=0')).json().items).toHaveLength(2);
    expect((await app.inject('/conversations?limit=02&head=00')).json().items).toHaveLength(2);
    expectProblem(await app.inject('/conversations?limit=101'), 400, 'INVALID_QUERY');
  });
});

describe('Range headers (RFC 9110 §14.2)', () => {
  it('an invalid Range is ignored (200, the whole file); an unsatisfiable one is 416', async () => {
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'x' });
    const app = await buildTestApp(home);
    const url = `/conversations/${uuidN(1)}?format=ndjson`;
    const whole = await app.inject(url);
    for (const range of ['bytes=a-b', 'bytes=5-3', 'bytes=', 'bytes=-', 'items=0-5', 'bytes=0-1,x', 'bytes=1-2,5-6']) {
      const res = await app.inject({ url, headers: { range } });
      expect([range, res.statusCode, res.headers['content-range']]).toEqual([range, 200, undefined]);
      expect(res.rawPayload.equals(whole.rawPayload)).toBe(true);
    }
    for (const range of ['bytes=0-0', 'BYTES = 0-0', 'bytes=0-0, 1-1']) {
      const res = await app.inject({ url, headers: { range } });
      const last = range.endsWith('1-1') ? 1 : 0;
      expect([range, res.statusCode, res.headers['content-range']]).toEqual([range, 206, `bytes 0-${last}/${whole.rawPayload.length}`]);
    }
    const res = await app.inject({ url, headers: { range: 'bytes=999999-' } });
    expectProblem(res, 416, 'RANGE_NOT_SATISFIABLE');
    expect(rel).toContain(uuidN(1));
  });

  it('If-Range with an old validator sends the whole file; HEAD sends the headers only', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'x' });
    const app = await buildTestApp(home);
    const url = `/conversations/${uuidN(1)}?format=ndjson`;
    const whole = await app.inject(url);
    const stale = await app.inject({ url, headers: { range: 'bytes=0-4', 'if-range': 'W/"1-1"' } });
    expect(stale.statusCode).toBe(200);
    const fresh = await app.inject({ url, headers: { range: 'bytes=0-4', 'if-range': String(whole.headers.etag) } });
    expect([fresh.statusCode, fresh.body]).toEqual([206, whole.body.slice(0, 5)]);
    const head = await app.inject({ method: 'HEAD', url });
    expect([head.statusCode, head.headers['content-length'], head.body]).toEqual([200, String(whole.rawPayload.length), '']);
    const modified = await app.inject({ url, headers: { 'if-modified-since': String(whole.headers['last-modified']) } });
    expect(modified.statusCode).toBe(304);
  });
});
