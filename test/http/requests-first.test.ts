import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { requestsFirst } from '../../src/http/requests-first.js';
import { RequestsFirst } from '../../src/rollout/index/give-way.js';

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A server counting its requests in `count`: `/work` answers once `release` is called, `/fail` throws. */
async function server(count: RequestsFirst) {
  const app = Fastify();
  apps.push(app);
  await app.register(requestsFirst, { count });
  const seen: number[] = [];
  let release = () => {};
  const held = () => new Promise<void>((resolve) => (release = resolve));
  app.get('/work', async () => {
    seen.push(count.underWay);
    await held();
    return { ok: true };
  });
  app.get('/raw', (_request, reply) => {
    seen.push(count.underWay);
    reply.hijack();
    reply.raw.end('taken over');
  });
  app.post('/work', async () => {
    seen.push(count.underWay);
    await held();
    return { ok: true };
  });
  app.post('/raw', async (_request, reply) => {
    seen.push(count.underWay);
    reply.hijack();
    await held();
    reply.raw.end('taken over');
  });
  app.get('/fail', async () => {
    seen.push(count.underWay);
    throw new Error('boom');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { port, seen, release: () => release() };
}

/** Waits until `done` (a bound, not a measurement: the count changes within a few turns). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
  expect(done()).toBe(true);
}

describe('requests are counted for the index build to give way to them', () => {
  it('counts a request from its arrival until its response, an error response too', async () => {
    const count = new RequestsFirst();
    const { port, seen, release } = await server(count);
    const answer = fetch(`http://127.0.0.1:${port}/work`);
    await until(() => seen.length === 1);
    expect(count.underWay).toBe(1);
    release();
    expect((await answer).status).toBe(200);
    expect(count.underWay).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/fail`)).status).toBe(500);
    expect((await fetch(`http://127.0.0.1:${port}/nowhere`)).status).toBe(404);
    expect(seen).toEqual([1, 1]);
    expect(count.underWay).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/raw`)).text()).toBe('taken over');
    await until(() => count.underWay === 0);
    expect(seen).toEqual([1, 1, 1]);
  });

  it('stops counting a request whose client went away before the answer', async () => {
    const count = new RequestsFirst();
    const { port, seen, release } = await server(count);
    const req = request({ host: '127.0.0.1', port, path: '/work' });
    req.on('error', () => {});
    req.end();
    await until(() => seen.length === 1);
    req.destroy();
    await until(() => count.underWay === 0);
    release();
  });

  // A POST's whole body read: Node does not mark such a request aborted when its client goes,
  // so Fastify runs no onRequestAbort (MCP's calls, test/mcp/usage-cancel.test.ts).
  it.each(['/work', '/raw'])('stops counting a POST %s whose client went away after its whole body', async (path) => {
    const count = new RequestsFirst();
    const { port, seen, release } = await server(count);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.end('{"a":1}');
    await until(() => seen.length === 1);
    req.destroy();
    await until(() => count.underWay === 0);
    release();
  });
});
