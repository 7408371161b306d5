// Serving the dashboard (SPEC §8) over HTTP: the page and its hashed assets, their caching and
// compression, the CSP, access without a token, and the API's own routes left as they were.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultWebRoot, pickEncoding } from '../../src/http/dashboard.js';
import { buildTestApp, tempHome, testConfig } from '../helper.js';

const webRoot = defaultWebRoot() as string;

async function assetNames(): Promise<string[]> {
  return (await readdir(join(webRoot, 'assets'))).filter((f) => /\.(js|css)$/.test(f));
}

describe('the dashboard page', () => {
  it('is built by npm run build (npm test builds first)', () => {
    expect(webRoot).not.toBeNull();
  });

  it('is served at / with a strict CSP, no caching, an ETag, and no inline script', async () => {
    const app = await buildTestApp(await tempHome());
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // Every script is a file of this origin, addressed relative to the page (works under a path prefix).
    const scripts = [...res.body.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) expect(attrs).toMatch(/src="\.\/assets\/[\w-]+-[A-Z0-9]{8}\.js"/);
    expect(res.body).not.toMatch(/\son\w+=|javascript:/i);
    const again = await app.inject({ url: '/', headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('serves each hashed asset for a year, immutable, precompressed as the client accepts', async () => {
    const app = await buildTestApp(await tempHome());
    const names = await assetNames();
    expect(names.some((n) => n.endsWith('.js')) && names.some((n) => n.endsWith('.css'))).toBe(true);
    for (const name of names) {
      const plain = await readFile(join(webRoot, 'assets', name));
      const identity = await app.inject({ url: `/assets/${name}`, headers: { 'accept-encoding': 'identity' } });
      expect(identity.statusCode).toBe(200);
      expect(identity.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(identity.headers['content-type']).toMatch(name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(identity.rawPayload.equals(plain)).toBe(true);
      const br = await app.inject({ url: `/assets/${name}`, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toBe('accept-encoding');
      expect(brotliDecompressSync(br.rawPayload).equals(plain)).toBe(true);
      const gz = await app.inject({ url: `/assets/${name}`, headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.rawPayload).equals(plain)).toBe(true);
    }
  });

  it('answers an unknown or malformed asset name with a problem+json 404', async () => {
    const app = await buildTestApp(await tempHome());
    for (const url of ['/assets/main-ZZZZZZZZ.js', '/assets/..%2Fpackage.json', '/assets/index.html', '/assets/main.js', '/assets/']) {
      const res = await app.inject(url);
      expect([url, res.statusCode, res.json().code]).toEqual([url, 404, 'NOT_FOUND']);
    }
  });

  it('keeps the bundle within 250 KB gzipped', async () => {
    let gzipped = (await stat(join(webRoot, 'index.html'))).size;
    for (const name of await assetNames()) gzipped += (await stat(join(webRoot, 'assets', `${name}.gz`))).size;
    expect(gzipped).toBeLessThanOrEqual(250_000);
  });

  it('needs no token (it holds no session data), while the API still does', async () => {
    const app = await buildTestApp(await tempHome(), { token: 'a-very-secret-token-123' });
    expect((await app.inject('/')).statusCode).toBe(200);
    const [asset] = await assetNames();
    expect((await app.inject(`/assets/${asset}`)).statusCode).toBe(200);
    for (const url of ['/conversations', '/openapi.json', '/nope']) {
      const res = await app.inject(url);
      expect([url, res.statusCode, res.json().code]).toEqual([url, 401, 'UNAUTHORIZED']);
    }
  });

  it('does not count its files against --rate-limit', async () => {
    const app = await buildTestApp(await tempHome(), { rateLimit: 2 });
    const [asset] = await assetNames();
    for (let i = 0; i < 5; i += 1) {
      expect((await app.inject('/')).statusCode).toBe(200);
      expect((await app.inject(`/assets/${asset}`)).statusCode).toBe(200);
    }
    expect((await app.inject('/conversations')).statusCode).toBe(200);
    expect((await app.inject('/conversations')).statusCode).toBe(200);
    const limited = await app.inject('/conversations');
    expect([limited.statusCode, limited.json().code]).toEqual([429, 'RATE_LIMITED']);
  });

  it('leaves the API, the docs and the 404 of unknown paths as they were', async () => {
    const app = await buildTestApp(await tempHome());
    expect((await app.inject('/conversations')).statusCode).toBe(200);
    expect((await app.inject('/docs/')).headers['content-type']).toContain('text/html');
    const doc = (await app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/assets'))).toEqual([]);
    const unknown = await app.inject('/conversations-nope');
    expect([unknown.statusCode, unknown.headers['content-type'], unknown.json().code]).toEqual([
      404,
      'application/problem+json; charset=utf-8',
      'NOT_FOUND',
    ]);
  });

  it('says so when the dashboard was not built', async () => {
    const app = await buildApp(testConfig(await tempHome()), { loggerInstance: pino({ level: 'silent' }), webRoot: null });
    try {
      const res = await app.inject('/');
      expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
      expect(res.json().detail).toContain('npm run build');
    } finally {
      await app.close();
    }
  });
});

describe('pickEncoding', () => {
  it.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'gzip'],
    ['identity', null],
    [undefined, null],
    ['gzip;q=0', null],
  ])('%s → %s', (header, expected) => {
    expect(pickEncoding(header)).toBe(expected);
  });
});
