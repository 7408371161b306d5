import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp, tempHome } from '../helper.js';

const UI_PACKAGE = `${sep}@fastify${sep}swagger-ui${sep}`;

/** Whether this process has loaded @fastify/swagger-ui (a CommonJS package: Node's module cache says). */
function uiLoaded(): boolean {
  return Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes(UI_PACKAGE));
}

describe('Swagger UI on demand (start-up to listening does not load it)', () => {
  it('is loaded by the first /docs request, not when the service starts', async () => {
    const app = await buildTestApp(await tempHome());
    await app.ready();
    expect(uiLoaded()).toBe(false);
    const page = await app.inject('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(uiLoaded()).toBe(true);
  });

  it('answers as the UI does: files, conditional and HEAD requests, its redirect, its JSON and YAML', async () => {
    const app = await buildTestApp(await tempHome());
    const css = await app.inject('/docs/static/swagger-ui.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['accept-ranges']).toBe('bytes');
    expect(css.body.length).toBeGreaterThan(1000);
    const again = await app.inject({ url: '/docs/static/swagger-ui.css', headers: { 'if-none-match': String(css.headers.etag) } });
    expect([again.statusCode, again.body]).toEqual([304, '']);
    const head = await app.inject({ method: 'HEAD', url: '/docs/static/swagger-ui.css' });
    expect([head.statusCode, head.body, head.headers['content-length']]).toEqual([200, '', String(css.rawPayload.length)]);
    const range = await app.inject({ url: '/docs/static/swagger-ui.css', headers: { range: 'bytes=0-9' } });
    expect([range.statusCode, range.rawPayload]).toEqual([206, css.rawPayload.subarray(0, 10)]);
    const redirect = await app.inject('/docs/static/index.html');
    expect([redirect.statusCode, redirect.headers.location, redirect.headers['content-type']]).toEqual([302, '/docs/', undefined]);
    const json = await app.inject('/docs/json');
    expect(json.json()).toEqual((await app.inject('/openapi.json')).json());
    const yaml = await app.inject('/docs/yaml');
    expect([yaml.statusCode, yaml.headers['content-type']]).toEqual([200, 'application/x-yaml']);
    expect(yaml.body).toContain('openapi: 3.1.0');
  });

  it('a file the UI does not have → 404 NOT_FOUND; with a token, /docs needs it as before (401)', async () => {
    const app = await buildTestApp(await tempHome());
    const missing = await app.inject('/docs/static/nope.js');
    expect([missing.statusCode, missing.headers['content-type'], missing.json().code])
      .toEqual([404, 'application/problem+json; charset=utf-8', 'NOT_FOUND']);
    const guarded = await buildTestApp(await tempHome(), { token: 'a-token-of-enough-length-0123456789' });
    const res = await guarded.inject('/docs/');
    expect([res.statusCode, res.json().code]).toEqual([401, 'UNAUTHORIZED']);
  });
});
