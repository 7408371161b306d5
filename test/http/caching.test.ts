import { appendFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { responseCaching } from '../../src/http/caching.js';
import { describe, expect, it } from 'vitest';
import { buildTestApp, copyOfRealHome, indexReady, rolloutRelPath, tempHome, uuidN, writeLines, writeSession } from '../helper.js';
import { eventually } from '../net.js';

const LINE = `${JSON.stringify({ timestamp: 't', type: 'event_msg', payload: { type: 'agent_message', message: 'more' } })}\n`;
const SPEC = { stamp: '2025-10-01T08-00-00', id: uuidN(1), title: 'cached', cwd: '/home/u/a' };
/** Exactly what a browser's fetch sends when it revalidates. */
const revalidate = (etag: string) => ({ 'if-none-match': etag, 'cache-control': 'no-cache' });

async function setup(indexed: boolean) {
  const home = await tempHome();
  await writeSession(home, SPEC);
  await writeSession(home, { stamp: '2025-10-02T08-00-00', id: uuidN(2), title: 'other', cwd: '/home/u/b' });
  const app = await buildTestApp(home, indexed ? { indexPath: join(await tempHome(), 'index.sqlite') } : {});
  if (indexed) await indexReady(app);
  return { home, app, file: join(home, rolloutRelPath(SPEC.stamp, SPEC.id)) };
}

const get = (app: FastifyInstance, url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });

describe('caching of list pages without a watcher (no index, no stream): the ETag comes from what the page was built from', () => {
  it('ETag, Cache-Control: no-cache, private; If-None-Match → 304 also with Cache-Control: no-cache', async () => {
    const { app } = await setup(false);
    const first = await get(app, '/conversations');
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache, private');
    expect(first.headers.vary).toContain('accept-encoding');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"c-[\w-]+"$/);
    const again = await get(app, '/conversations', revalidate(etag));
    expect([again.statusCode, again.body, again.headers.etag]).toEqual([304, '', etag]);
    expect(again.headers['cache-control']).toBe('no-cache, private');
    expect((await get(app, '/conversations', { 'if-none-match': `"x", ${etag}` })).statusCode).toBe(304);
    expect((await get(app, '/conversations', { 'if-none-match': '*' })).statusCode).toBe(304);
    expect((await get(app, '/conversations', { 'if-none-match': 'W/"c-other"' })).statusCode).toBe(200);
    const bad = await get(app, '/conversations?cursor=bogus');
    expect([bad.statusCode, bad.headers.etag]).toEqual([400, undefined]);
    // Another query is another resource.
    expect((await get(app, '/conversations?limit=1', revalidate(etag))).statusCode).toBe(200);
  });

  it('a change to a listed session or to the names makes a new ETag at once', async () => {
    const { home, app, file } = await setup(false);
    const etag = String((await get(app, '/conversations')).headers.etag);
    await appendFile(file, LINE);
    const grown = await get(app, '/conversations', revalidate(etag));
    expect(grown.statusCode).toBe(200);
    expect(grown.headers.etag).not.toBe(etag);
    await writeLines(join(home, 'session_index.jsonl'), [{ id: SPEC.id, thread_name: 'named', updated_at: '2025-10-03T00:00:00Z' }]);
    const renamed = await get(app, '/conversations', revalidate(String(grown.headers.etag)));
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().items[1].name).toBe('named');
  });
});

describe('caching of list pages with the watched tree (an index): the ETag is the tree version', () => {
  it('answers 304 from the version, a repeated page from the cache, and moves on every change', async () => {
    const { app, file } = await setup(true);
    for (const url of ['/conversations', '/conversations?sort=updated&head=0', '/conversations?cwd=/home/u/a&head=0']) {
      // Once the tree is quiet (the index may still be taking in the last round's change), a page revalidates.
      const quiet = async () => {
        const page = await get(app, url);
        return { page, status: (await get(app, url, revalidate(String(page.headers.etag)))).statusCode };
      };
      const { page: first, status } = await eventually(quiet, (r) => r.status === 304, 10_000);
      expect(status).toBe(304);
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^W\/"[\w-]+-[\d.]+-[\w-]+"$/);
      expect((await get(app, url)).body).toBe(first.body); // from the cache: the same bytes
      const before = first.json().items.find((i: { id: string }) => i.id === SPEC.id).sizeBytes;
      await appendFile(file, LINE);
      const after = await eventually(() => get(app, url, revalidate(etag)), (r) => r.statusCode === 200, 10_000);
      expect(after.statusCode).toBe(200);
      expect(after.headers.etag).not.toBe(etag);
      const size = (r: typeof after) => r.json().items.find((i: { id: string }) => i.id === SPEC.id).sizeBytes;
      expect(await eventually(async () => size(await get(app, url)), (s) => s > before, 10_000)).toBeGreaterThan(before);
    }
  });

  it('other files of the home (history, logs) do not move the version; errors carry no ETag', async () => {
    const { app, home } = await setup(true);
    const { page } = await eventually(
      async () => {
        const first = await get(app, '/conversations');
        return { page: first, status: (await get(app, '/conversations', revalidate(String(first.headers.etag)))).statusCode };
      },
      (r) => r.status === 304,
      10_000,
    );
    await writeFile(join(home, 'history.jsonl'), '{"session_id":"x","text":"hello"}\n');
    await sleep(300); // the watch has reported the write by now
    expect((await get(app, '/conversations', revalidate(String(page.headers.etag)))).statusCode).toBe(304);
    for (const url of ['/conversations?cursor=bogus', '/conversations?sort=updated&cursor=bogus']) {
      const bad = await get(app, url);
      expect([bad.statusCode, bad.json().code, bad.headers.etag]).toEqual([400, 'INVALID_CURSOR', undefined]);
    }
  });

  it('a route with an id caches each id apart: the same query of two sessions answers each its own', async () => {
    const { app } = await setup(true);
    const url = (id: string) => `/conversations/${id}/search?q=e&scope=messages`;
    const first = await eventually(() => get(app, url(SPEC.id)), (r) => r.statusCode === 200, 10_000);
    const second = await get(app, url(uuidN(2)));
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect([first.json().matches[0].snippet, second.json().matches[0].snippet]).toEqual(['cached', 'other']);
  });

  it('ETags differ between queries and between processes (the version restarts with the process)', async () => {
    const { app, home } = await setup(true);
    const a = String((await get(app, '/conversations')).headers.etag);
    const b = String((await get(app, '/conversations?limit=5')).headers.etag);
    expect(a).not.toBe(b);
    const other = await buildTestApp(home, { indexPath: join(await tempHome(), 'index.sqlite') });
    await indexReady(other);
    expect((await get(other, '/conversations', revalidate(a))).statusCode).toBe(200);
  });
});

describe('compression', () => {
  it.each([
    ['without a watcher', false],
    ['with the watched tree', true],
  ])('a JSON page is sent as br or gzip when accepted (%s), and decodes to the same bytes', async (_name, indexed) => {
    const home = await copyOfRealHome();
    const app = await buildTestApp(home, indexed ? { indexPath: join(await tempHome(), 'index.sqlite') } : {});
    if (indexed) await indexReady(app);
    const plain = await get(app, '/conversations');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await get(app, '/conversations', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(br.rawPayload.length * 5).toBeLessThan(plain.rawPayload.length);
    const gz = await get(app, '/conversations', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(gz.headers.etag).toBe(plain.headers.etag);
    expect(gz.headers.vary).toContain('accept-encoding');
    // A tiny page is not worth it; the JSON form of one session is compressed too.
    expect((await get(app, '/conversations?limit=0', { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined();
    const id = plain.json().items[0].id;
    const one = await get(app, `/conversations/${id}`, { 'accept-encoding': 'gzip' });
    expect(one.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(one.rawPayload).toString()).conversation.id).toBe(id);
  });

  it('never compresses NDJSON, whole or in byte ranges', async () => {
    const home = await copyOfRealHome();
    const app = await buildTestApp(home);
    const id = (await get(app, '/conversations')).json().items[0].id;
    const whole = await get(app, `/conversations/${id}?format=ndjson`, { 'accept-encoding': 'gzip, br' });
    expect([whole.statusCode, whole.headers['content-encoding']]).toEqual([200, undefined]);
    const range = await get(app, `/conversations/${id}?format=ndjson`, { 'accept-encoding': 'gzip, br', range: 'bytes=0-99' });
    expect([range.statusCode, range.headers['content-encoding'], range.rawPayload.length]).toEqual([206, undefined, 100]);
  });
});

describe('one session', () => {
  it('NDJSON evaluates If-None-Match and If-Modified-Since also with Cache-Control: no-cache', async () => {
    const { app } = await setup(false);
    const url = `/conversations/${SPEC.id}?format=ndjson`;
    const first = await get(app, url);
    expect(first.headers['cache-control']).toBe('no-cache, private');
    const etag = String(first.headers.etag);
    const byTag = await get(app, url, revalidate(etag));
    expect([byTag.statusCode, byTag.body, byTag.headers.etag]).toEqual([304, '', etag]);
    const byDate = await get(app, url, { 'if-modified-since': String(first.headers['last-modified']), 'cache-control': 'no-cache' });
    expect(byDate.statusCode).toBe(304);
    const reload = { 'if-none-match': etag, pragma: 'no-cache', 'cache-control': 'no-cache, no-store' };
    expect((await get(app, url, reload)).statusCode).toBe(304);
    expect((await get(app, `/conversations/${SPEC.id}`)).headers['cache-control']).toBe('no-cache, private');
  });
});

describe('caching of search pages', () => {
  it('an ETag, 304 on revalidation (with Cache-Control: no-cache), a new ETag once the text changes', async () => {
    const { app, file } = await setup(true);
    for (const url of ['/search?q=cached', `/conversations/${SPEC.id}/search?q=cached`]) {
      const quiet = async () => {
        const page = await get(app, url);
        return { page, status: (await get(app, url, revalidate(String(page.headers.etag)))).statusCode };
      };
      const { page: first, status } = await eventually(quiet, (r) => r.status === 304, 10_000);
      expect([first.statusCode, status]).toEqual([200, 304]);
      expect(first.headers['cache-control']).toBe('no-cache, private');
    }
    const etag = String((await get(app, '/search?q=more')).headers.etag);
    await appendFile(file, LINE);
    const after = await eventually(() => get(app, '/search?q=more', revalidate(etag)), (r) => r.statusCode === 200, 10_000);
    expect(after.headers.etag).not.toBe(etag);
    const found = await eventually(async () => (await get(app, '/search?q=more')).json(), (p) => p.items.length === 1, 10_000);
    expect(found.items.map((i: { id: string }) => i.id)).toEqual([SPEC.id]);
  });
});

describe('the cache of built bodies (--response-cache-mb)', () => {
  async function counting(maxBytes: number) {
    const app = Fastify({ logger: false });
    await app.register(responseCaching, { maxBytes, maxEntries: 256 });
    let builds = 0;
    app.get('/page', (_request, reply) =>
      reply.cachedJson('v1', async () => {
        builds += 1;
        return { body: Buffer.from(JSON.stringify({ items: [1, 2, 3] })) };
      }),
    );
    await app.ready();
    return { app, builds: () => builds };
  }

  it('builds a repeated page once while the freshness token holds, and every time with 0 MiB (304s need no body either way)', async () => {
    for (const [maxBytes, expected] of [
      [2 ** 20, 1],
      [0, 3],
    ] as const) {
      const { app, builds } = await counting(maxBytes);
      try {
        const first = await get(app, '/page');
        expect(first.statusCode).toBe(200);
        expect((await get(app, '/page')).body).toBe(first.body);
        expect((await get(app, '/page')).body).toBe(first.body);
        expect(builds(), `maxBytes ${maxBytes}`).toBe(expected);
        expect((await get(app, '/page', revalidate(String(first.headers.etag)))).statusCode).toBe(304);
        expect(builds()).toBe(expected);
      } finally {
        await app.close();
      }
    }
  });
});
