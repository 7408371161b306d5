import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, tempHome, uuidN, writeSession } from '../helper.js';

// Issue 16: every route declares every status it can answer. Before, /search,
// /conversations/{id}/search and /conversations/{id}/usage answered 503 without declaring it, and
// the revalidated JSON routes answered 304 without declaring it.
const ID = uuidN(1);

/** The statuses the OpenAPI document declares for GET `path` (in its {id} form). */
function declared(app: FastifyInstance, path: string): string[] {
  const doc = app.swagger() as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> };
  return Object.keys(doc.paths[path]?.get?.responses ?? {});
}

const ROUTES: [string, string][] = [
  ['/conversations', '/conversations?limit=5'],
  ['/conversations/{id}', `/conversations/${ID}`],
  ['/search', '/search?q=needle'],
  ['/conversations/{id}/search', `/conversations/${ID}/search?q=needle`],
  ['/conversations/{id}/usage', `/conversations/${ID}/usage`],
  ['/usage', '/usage'],
];

async function appWithLongLines(): Promise<FastifyInstance> {
  const home = await tempHome();
  // A first user message of 200 KB: reading it whole (title, search, usage) takes the budget's line pool.
  const long = 'needle '.repeat(30_000);
  await writeSession(home, { stamp: '2025-01-01T00-00-00', id: ID, title: long });
  return buildTestApp(home, { memoryBudgetBytes: 16 * 1024 * 1024, memoryWaitMs: 100 });
}

describe('every route declares every status it can answer (issue 16)', () => {
  it('503 when the memory budget has no room: answered and declared by every route that reads sessions', async () => {
    const app = await appWithLongLines();
    await app.ready();
    const { requests, lines } = app.memoryBudget;
    const held = [await requests.acquire(requests.capacity), await lines.acquire(lines.capacity)];
    try {
      for (const [path, url] of ROUTES) {
        const res = await app.inject(url);
        expect([url, res.statusCode, res.json().code]).toEqual([url, 503, 'SERVICE_UNAVAILABLE']);
        expect(res.headers['retry-after']).toBe('2');
        expect([path, declared(app, path)]).toEqual([path, expect.arrayContaining(['503'])]);
      }
    } finally {
      for (const release of held) release();
    }
  });

  it('304 on revalidation: answered and declared by every route with an ETag', async () => {
    const app = await appWithLongLines();
    for (const [path, url] of ROUTES.filter(([p]) => p !== '/conversations/{id}/usage')) {
      const first = await app.inject({ url, headers: path === '/conversations/{id}' ? { accept: 'application/x-ndjson' } : {} });
      expect([url, first.statusCode]).toEqual([url, 200]);
      const etag = first.headers.etag as string;
      const again = await app.inject({
        url,
        headers: { 'if-none-match': etag, ...(path === '/conversations/{id}' ? { accept: 'application/x-ndjson' } : {}) },
      });
      expect([url, again.statusCode]).toEqual([url, 304]);
      expect([path, declared(app, path)]).toEqual([path, expect.arrayContaining(['304'])]);
    }
  });

  it('what any route can answer (a bad Host, a token, a slow request, the rate limit, a shutdown) is declared everywhere', async () => {
    const app = await buildTestApp(await tempHome());
    await app.ready();
    const doc = app.swagger() as { paths: Record<string, { get: { responses: Record<string, { description: string }> } }> };
    for (const [path, item] of Object.entries(doc.paths)) {
      const statuses = Object.keys(item.get.responses);
      const open = path === '/healthz';
      const expected = ['400', '403', '408', '431', '503', ...(open ? [] : ['401', '429'])];
      expect([path, statuses]).toEqual([path, expect.arrayContaining(expected)]);
      expect(item.get.responses['503']!.description).toContain('SERVICE_UNAVAILABLE');
    }
    // /readyz's own 503 is its Readiness document; a shutdown's is a problem.
    const readyz = doc.paths['/readyz']!.get.responses['503'] as unknown as { content: Record<string, unknown> };
    expect(Object.keys(readyz.content).sort()).toEqual(['application/json', 'application/problem+json']);
  });
});
