import { symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildTestApp, rolloutRelPath, tempHome, testConfig, uuidN, writeLines, writeSession, envelopeLines } from '../helper.js';

const TOKEN = 'hardening-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect([res.statusCode, res.headers['content-type'], res.json().code]).toEqual([status, 'application/problem+json; charset=utf-8', code]);
}

describe('rate limit (--rate-limit N/min)', () => {
  it('answers 429 RATE_LIMITED with Retry-After past N requests a minute; /healthz is exempt', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'x' });
    const app = await buildTestApp(home, { rateLimit: 3 });
    for (const url of ['/conversations', `/conversations/${uuidN(1)}`, '/readyz']) {
      expect((await app.inject(url)).statusCode).toBe(200);
    }
    for (const url of ['/conversations', `/conversations/${uuidN(1)}?format=ndjson`, '/openapi.json']) {
      const res = await app.inject(url);
      expectProblem(res, 429, 'RATE_LIMITED');
      const retryAfter = Number(res.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      expect(res.json().detail).toMatch(/more than 3 requests a minute/);
    }
    for (let i = 0; i < 10; i++) expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('is off by default, and counts only requests that pass the Host and token checks', async () => {
    const off = await buildTestApp(await tempHome());
    for (let i = 0; i < 50; i++) expect((await off.inject('/readyz')).statusCode).toBe(200);

    const app = await buildTestApp(await tempHome(), { rateLimit: 2, token: TOKEN });
    for (let i = 0; i < 5; i++) expectProblem(await app.inject('/readyz'), 401, 'UNAUTHORIZED');
    for (let i = 0; i < 5; i++) {
      expectProblem(await app.inject({ url: '/readyz', headers: { host: 'evil.example', ...auth } }), 403, 'FORBIDDEN');
    }
    expect((await app.inject({ url: '/readyz', headers: auth })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz', headers: auth })).statusCode).toBe(200);
    expectProblem(await app.inject({ url: '/readyz', headers: auth }), 429, 'RATE_LIMITED');
  });
});

describe('bad URLs and numbers the router or ajv let through', () => {
  it('a malformed percent-encoding or an over-long id is a problem+json 400, not Fastify’s default body', async () => {
    const app = await buildTestApp(await tempHome());
    for (const url of ['/conversations/%zz', '/conversations/%c3%28%', `/conversations/${'a'.repeat(600)}`]) {
      const res = await app.inject(url);
      expectProblem(res, 400, 'INVALID_ID');
      expect(res.body).not.toContain('zz');
    }
    expectProblem(await app.inject('/elsewhere%zz'), 400, 'INVALID_QUERY');
  });

  it('Infinity and numbers past the float range are not page sizes → 400 INVALID_QUERY', async () => {
    const app = await buildTestApp(await tempHome());
    for (const q of ['limit=Infinity', 'limit=-Infinity', 'head=1e400', 'tail=Infinity', 'limit=10&head=-1e999']) {
      expectProblem(await app.inject(`/conversations?${q}`), 400, 'INVALID_QUERY');
    }
  });
});

describe('nothing leaks: paths, stacks, tokens', () => {
  /** Everything a client sees of a response, headers included. */
  const visible = (res: LightMyRequestResponse, withBody = true) => `${JSON.stringify(res.headers)}\n${withBody ? res.body : ''}`;
  const STACK = /\bat .*\.(?:js|ts|mjs):\d+|node:internal|\n\s+at /;

  it('no response of any kind carries a server path, a stack trace or the token', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'one' });
    await writeSession(home, { stamp: '2025-01-02T00-00-00', id: uuidN(2), title: 'twin a' });
    await writeSession(home, { stamp: '2025-01-03T00-00-00', id: uuidN(2), title: 'twin b', archived: true });
    const app = await buildTestApp(home, { token: TOKEN, rateLimit: 40 });
    const broken = join(await tempHome(), 'home');
    await symlink(broken, broken); // the home cannot be resolved (ELOOP) → 500
    const failing = await buildTestApp(broken, { token: TOKEN });

    const cases: [LightMyRequestResponse, number, boolean][] = [];
    const hit = async (target: typeof app, url: string, headers: Record<string, string> = auth, status = 200, body = true) =>
      cases.push([await target.inject({ url, headers }), status, body]);
    await hit(app, '/conversations?tail=2');
    await hit(app, `/conversations/${uuidN(1)}`);
    await hit(app, `/conversations/${uuidN(1)}?format=ndjson`, auth, 200, false); // the file's own bytes
    await hit(app, `/conversations/${uuidN(1)}?format=ndjson`, { ...auth, range: 'bytes=999999-' }, 416);
    await hit(app, `/conversations/${uuidN(1)}`, { ...auth, accept: 'text/html' }, 406);
    await hit(app, `/conversations/${uuidN(2)}`, auth, 409);
    await hit(app, `/conversations/${uuidN(3)}`, auth, 404);
    await hit(app, '/conversations/not-an-id', auth, 400);
    await hit(app, '/conversations/%zz', auth, 400);
    await hit(app, '/conversations?cursor=..%2F..%2Fetc%2Fpasswd', auth, 400);
    await hit(app, '/conversations?limit=Infinity', auth, 400);
    await hit(app, '/conversations?nope=1', auth, 400);
    await hit(app, '/conversations', {}, 401);
    await hit(app, '/conversations', { authorization: `Bearer ${TOKEN}x` }, 401);
    await hit(app, '/conversations', { ...auth, host: 'evil.example' }, 403);
    await hit(app, '/openapi.json');
    await hit(app, '/docs/');
    await hit(app, '/readyz');
    await hit(failing, '/conversations', auth, 500);
    await hit(failing, `/conversations/${uuidN(1)}`, auth, 500);
    for (let i = 0; i < 40; i++) await app.inject({ url: '/readyz', headers: auth });
    await hit(app, '/readyz', auth, 429);

    for (const [res, status, withBody] of cases) {
      expect(res.statusCode, res.body).toBe(status);
      const text = visible(res, withBody);
      for (const secret of [home, broken, tmpdir(), process.cwd(), TOKEN]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(STACK);
    }
    // The ambiguous-id detail names both files, relative to the home.
    expect(cases[5]![0].json().detail).toContain('sessions/2025/01/02/');
  });

  it('pino redacts authorization (and the token) wherever it appears in a log object', async () => {
    const lines: string[] = [];
    const app = await buildApp(testConfig(await tempHome(), { logLevel: 'debug', token: TOKEN }), {
      logStream: { write: (l: string) => void lines.push(l) },
    });
    app.log.info({ req: { headers: { authorization: `Bearer ${TOKEN}`, cookie: 'c=1' } } }, 'as a request');
    app.log.info({ request: { headers: { authorization: `Bearer ${TOKEN}` } } }, 'as a raw request');
    app.log.info({ headers: { authorization: `Bearer ${TOKEN}` }, authorization: TOKEN, token: TOKEN }, 'bare');
    await app.inject({ url: '/conversations', headers: auth });
    await app.inject({ url: '/conversations', headers: { authorization: `Bearer ${TOKEN}-wrong` } });
    await app.close();
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('c=1');
    const logged = lines.map((l) => JSON.parse(l));
    // `req` goes through Fastify's request serialiser (method, url, host, remote address: no headers).
    expect(logged.find((l) => l.msg === 'as a request').req).not.toHaveProperty('headers.authorization', expect.stringContaining('Bearer'));
    expect(logged.find((l) => l.msg === 'as a raw request').request.headers).toEqual({ authorization: '[Redacted]' });
    expect(logged.find((l) => l.msg === 'bare')).toMatchObject({
      headers: { authorization: '[Redacted]' },
      authorization: '[Redacted]',
      token: '[Redacted]',
    });
    expect(logged.filter((l) => l.msg === 'request completed').map((l) => l.statusCode)).toEqual([200, 401]);
  });

  it('debug logs name skipped files by their path in the home, never their content', async () => {
    const home = await tempHome();
    const rel = rolloutRelPath('2025-01-01T00-00-00', uuidN(1));
    const envelope = envelopeLines({ stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'TITLE-SECRET' });
    await writeLines(join(home, rel), ['{"secret": "SESSION-SECRET"', ...envelope]);
    const logs: string[] = [];
    const app = await buildTestApp(home, {}, logs);
    await app.inject('/conversations');
    await app.inject(`/conversations/${uuidN(1)}`);
    const all = logs.join('\n');
    expect(all).toContain('skipping invalid line');
    expect(all).toContain(`sessions/2025/01/01/rollout-2025-01-01T00-00-00-${uuidN(1)}.jsonl`);
    expect(all).not.toContain('SESSION-SECRET');
    expect(all).not.toContain('TITLE-SECRET');
  });
});
