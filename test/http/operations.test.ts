import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openapiDocument, serialize } from '../../src/openapi.js';
import { buildTestApp, tempHome, uuidN, writeSession } from '../helper.js';

describe('operations routes', () => {
  it('/healthz is up; /readyz is ready only while the Codex home is readable', async () => {
    const home = await tempHome();
    const app = await buildTestApp(home);
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    const missing = await buildTestApp(join(home, 'does-not-exist'));
    const res = await missing.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain(home);
  });

  it('/healthz runs no compression hook (its first run loads Node\'s fetch); /readyz does', async () => {
    const app = await buildTestApp(await tempHome());
    await app.ready();
    const lines = app.printRoutes({ includeHooks: true, commonPrefix: false }).split('\n');
    /** The hooks printed under a route's GET line (the lines up to the next route's). */
    const hooksOf = (route: string) => {
      const at = lines.findIndex((l) => l.includes(`${route} (GET)`));
      const next = lines.findIndex((l, i) => i > at && /\((GET|HEAD)\)/.test(l));
      return lines.slice(at + 1, next).join('\n');
    };
    expect(hooksOf('readyz')).toContain('onSend()'); // @fastify/compress's hook, by its name
    expect(hooksOf('healthz')).toMatch(/\(onSend\)/);
    expect(hooksOf('healthz')).not.toContain('onSend()');
    const res = await app.inject({ url: '/healthz', headers: { 'accept-encoding': 'br, gzip' } });
    expect([res.json(), res.headers['content-encoding'], res.headers.vary]).toEqual([{ status: 'ok' }, undefined, undefined]);
  });

  it('serves the OpenAPI document and the interactive docs', async () => {
    const app = await buildTestApp(await tempHome());
    const doc = await app.inject('/openapi.json');
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toBe('3.1.0');
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('openapi/openapi.json matches the route schemas (run `npm run openapi` after changing them)', async () => {
    const checkedIn = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(checkedIn).toBe(serialize(await openapiDocument()));
  });

  it('unknown routes are problem+json 404s', async () => {
    const res = await (await buildTestApp(await tempHome())).inject('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json().code).toBe('NOT_FOUND');
  });
});

describe('access control', () => {
  const token = 'a-very-secret-token-123';

  it('with a token, every route but /healthz needs the bearer token', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'x' });
    const app = await buildTestApp(home, { token });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    for (const url of ['/conversations', `/conversations/${uuidN(1)}`, '/readyz', '/openapi.json', '/docs/']) {
      const missing = await app.inject(url);
      expect([missing.statusCode, missing.json().code]).toEqual([401, 'UNAUTHORIZED']);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="codex-sessions"');
      const wrong = await app.inject({ url, headers: { authorization: 'Bearer wrong-token-wrong-token' } });
      expect([wrong.statusCode, wrong.json().code]).toEqual([401, 'UNAUTHORIZED']);
      expect(wrong.headers['www-authenticate']).toContain('invalid_token');
      expect(wrong.body).not.toContain(token);
      const ok = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
      expect(ok.statusCode).toBe(200);
    }
  });

  it('answers only loopback Host headers while bound to loopback (DNS rebinding) → 403 FORBIDDEN', async () => {
    const app = await buildTestApp(await tempHome());
    for (const host of ['localhost:8787', '127.0.0.1', '127.0.0.1:1', '[::1]:8787']) {
      expect((await app.inject({ url: '/readyz', headers: { host } })).statusCode).toBe(200);
    }
    for (const host of ['evil.example', 'evil.example:8787', 'localhost.evil.example', '10.0.0.1']) {
      const res = await app.inject({ url: '/readyz', headers: { host } });
      expect([res.statusCode, res.json().code]).toEqual([403, 'FORBIDDEN']);
    }
  });

  it('does not check Host when bound to all interfaces (a token guards it instead)', async () => {
    const app = await buildTestApp(await tempHome(), { host: '0.0.0.0', token });
    const res = await app.inject({ url: '/readyz', headers: { host: 'sessions.example', authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
  });

  it('CORS is off by default and allows exactly the configured origins', async () => {
    const off = await buildTestApp(await tempHome());
    expect((await off.inject({ url: '/readyz', headers: { origin: 'https://dash.example' } })).headers['access-control-allow-origin']).toBeUndefined();
    // With a token too: browsers send preflights without credentials.
    const on = await buildTestApp(await tempHome(), { corsOrigins: ['https://dash.example'], token });
    const allowed = await on.inject({ url: '/readyz', headers: { origin: 'https://dash.example', authorization: `Bearer ${token}` } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example');
    const other = await on.inject({ url: '/readyz', headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await on.inject({
      method: 'OPTIONS',
      url: '/conversations',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('Authorization');
    // A fetch-based event-stream client resumes with Last-Event-ID.
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('Last-Event-ID');
  });

  it('logs one line per request with id, route, status and duration, and no token or session content', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'TOP-SECRET-PROMPT' });
    const logs: string[] = [];
    const app = await buildTestApp(home, { token }, logs);
    await app.inject({ url: '/conversations?q=x', headers: { authorization: `Bearer ${token}` } });
    await app.inject({ url: `/conversations/${uuidN(1)}`, headers: { authorization: `Bearer ${token}` } });
    await app.inject({ url: '/conversations', headers: { authorization: 'Bearer not-the-token-at-all' } });
    const lines = logs.map((l) => JSON.parse(l));
    const done = lines.filter((l) => l.msg === 'request completed');
    expect(done).toHaveLength(3);
    expect(done[1]).toMatchObject({
      reqId: expect.any(String),
      route: '/conversations/:id',
      statusCode: 200,
      durationMs: expect.any(Number),
    });
    const all = logs.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain('not-the-token-at-all');
    expect(all).not.toContain('TOP-SECRET-PROMPT');
  });
});
