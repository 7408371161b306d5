// Red team (docs/red-team.md, "redteam27"): 48 clients at once on the request paths of both
// agents (`/usage?groupBy=agent`, a Claude session as JSON and NDJSON, its usage, `/mcp` tool
// calls, `/events` with Last-Event-ID), and clients that go away in the middle of a request.
// What is asserted is what must hold whatever the machine's load: every answer right, /healthz
// answering meanwhile, and nothing left behind (budget, streams, descriptors, inotify watches).
// The peak RSS of the built service under the same load is bench/redteam-48.mjs's (docs/red-team.md).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE } from '../../src/config.js';
import { buildTestApp, copyOfRealHome, indexReady, MODES, tempHome } from '../helper.js';
import { eventually, fdCount, httpGet, listen } from '../net.js';
import { SseClient } from '../sse.js';
import { claudeAnswer as answer, claudePrompt as prompt } from '../claude-lines.js';

const CLAUDE_REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claude-home-real');
const CLIENTS = 48;
const BIG = 'b1000000-0000-4000-8000-000000000001';

/** inotify watches this process holds (every watched directory of every watcher), from /proc. */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue;
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed between the listing and the read
    }
  }
  return n;
}


/** Both real homes, and a Claude session of 1,000 responses (about 1.2 MB) that takes a while to read. */
async function homes(): Promise<{ codexHome: string; claudeHome: string }> {
  const codexHome = await copyOfRealHome();
  const claudeHome = await tempHome();
  await cp(CLAUDE_REAL, claudeHome, { recursive: true });
  const project = join(claudeHome, 'projects', '-w');
  await mkdir(project, { recursive: true });
  const lines = [prompt(BIG, 0, 'a long session')];
  for (let n = 1; n <= 1000; n++) lines.push(answer(BIG, n, `answer ${n} `.repeat(100)));
  await writeFile(join(project, `${BIG}.jsonl`), lines.join('\n') + '\n');
  return { codexHome, claudeHome };
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const mcpCall = (name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

/**
 * One POST over a fresh connection, closed after it (fetch would keep it alive for seconds, and
 * the descriptor count below would wait for that); resolves with the status and body.
 */
async function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { ...MCP_HEADERS, connection: 'close' }, body });
  return { status: res.status, body: await res.text() };
}

/** What the app holds for requests: all zero once every client is gone. */
function held(app: FastifyInstance) {
  const { requests, lines, clients } = app.memoryBudget;
  return { requests: requests.inUse, lines: lines.inUse, clients: clients.clients, streams: app.eventStreams.size };
}
const NOTHING_HELD = { requests: 0, lines: 0, clients: 0, streams: 0 };

describe.each(MODES)('48 clients at once on both agents, $mode', ({ index }) => {
  it('answers every request right, /healthz meanwhile, and holds nothing once they are gone', async () => {
    const { codexHome, claudeHome } = await homes();
    const indexPath = index ? join(await tempHome(), 'index.sqlite') : null;
    const live = { ...DEFAULT_LIVE, heartbeatMs: 200 };
    const app = await buildTestApp(codexHome, { agents: ['codex', 'claude'], claudeHome, indexPath, live });
    const port = await listen(app);
    if (index) await indexReady(app);
    // Answers of one client first: what the 48 must all get.
    const usage = (await httpGet(port, '/usage?groupBy=agent')).body.toString();
    const json = JSON.parse((await httpGet(port, `/conversations/${BIG}`)).body.toString());
    expect(json.records).toHaveLength(1001);
    const raw = (await httpGet(port, `/conversations/${BIG}?format=ndjson`)).body;
    const sessionUsage = JSON.parse((await httpGet(port, `/conversations/${BIG}/usage`)).body.toString());
    expect(sessionUsage.totals.outputTokens).toBe(10_000);
    // Events to replay: one subscriber starts the log, then three Claude sessions are written.
    const first = new SseClient(port, '/events');
    await first.until((c) => c.events.length > 0);
    const fromId = first.lastId!;
    for (let n = 0; n < 3; n++) {
      const id = `c000000${n}-0000-4000-8000-000000000000`;
      await writeFile(join(claudeHome, 'projects', '-w', `${id}.jsonl`), prompt(id, 5000 + n, `new ${n}`) + '\n');
    }
    await first.until((c) => c.named('session').length >= 3);
    const replayIds = first.named('session').map((e) => e.id);
    first.close();
    await eventually(() => app.eventStreams.size, (n) => n === 0);
    const fds = fdCount();
    const watches = inotifyWatches();

    let healthy = 0;
    let unhealthy = 0;
    let running = true;
    const probe = (async () => {
      while (running) {
        const res = await httpGet(port, '/healthz');
        if (res.status === 200) healthy += 1;
        else unhealthy += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const client = async (n: number): Promise<string[]> => {
      const wrong: string[] = [];
      switch (n % 6) {
        case 0: {
          const res = await httpGet(port, '/usage?groupBy=agent');
          if (res.status !== 200 || res.body.toString() !== usage) wrong.push(`usage ${res.status}`);
          break;
        }
        case 1: {
          const res = await httpGet(port, `/conversations/${BIG}`);
          if (res.status !== 200 || JSON.parse(res.body.toString()).records.length !== 1001) wrong.push(`json ${res.status}`);
          break;
        }
        case 2: {
          const res = await httpGet(port, `/conversations/${BIG}?format=ndjson`);
          if (res.status !== 200 || !res.body.equals(raw)) wrong.push(`ndjson ${res.status}`);
          break;
        }
        case 3: {
          const res = await httpGet(port, `/conversations/${BIG}/usage`);
          const totals = res.status === 200 ? JSON.parse(res.body.toString()).totals : null;
          if (JSON.stringify(totals) !== JSON.stringify(sessionUsage.totals)) wrong.push(`session usage ${res.status}`);
          break;
        }
        case 4: {
          const call = n % 12 === 4 ? mcpCall('session_usage', { id: BIG }) : mcpCall('search_sessions', { q: 'answer 7' });
          const res = await post(port, '/mcp', call);
          const result = res.status === 200 ? JSON.parse(res.body).result : null;
          if (result === null || result.isError) wrong.push(`mcp ${res.status} ${res.body.slice(0, 200)}`);
          break;
        }
        default: {
          const replay = new SseClient(port, '/events', { 'last-event-id': fromId });
          try {
            await replay.until((c) => c.named('session').length >= 3 || c.ended);
            const ids = replay.named('session').map((e) => e.id);
            if (replay.status !== 200 || JSON.stringify(ids) !== JSON.stringify(replayIds)) wrong.push(`events ${replay.status} ${ids}`);
          } finally {
            replay.close();
          }
        }
      }
      return wrong;
    };
    const wrong = (await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)))).flat();
    running = false;
    await probe;
    expect(wrong).toEqual([]);
    expect(unhealthy).toBe(0);
    expect(healthy).toBeGreaterThan(0);
    const after = await eventually(() => held(app), (h) => JSON.stringify(h) === JSON.stringify(NOTHING_HELD), 10_000);
    expect(after).toEqual(NOTHING_HELD);
    // Connections close on both ends a moment after the last answer.
    expect(await eventually(fdCount, (n) => n <= fds, 10_000)).toBeLessThanOrEqual(fds);
    expect(inotifyWatches()).toBe(watches);
    await app.close();
  }, 120_000);
});

describe.each(MODES)('clients that go away in the middle of a request, $mode', ({ index }) => {
  it('give back what they held; the next client is answered in full', async () => {
    const { codexHome, claudeHome } = await homes();
    const indexPath = index ? join(await tempHome(), 'index.sqlite') : null;
    const app = await buildTestApp(codexHome, { agents: ['codex', 'claude'], claudeHome, indexPath });
    const port = await listen(app);
    if (index) await indexReady(app);
    const expected = (await httpGet(port, `/conversations/${BIG}`)).body;
    await eventually(() => held(app), (h) => JSON.stringify(h) === JSON.stringify(NOTHING_HELD));
    const fds = fdCount();
    const watches = inotifyWatches();
    const mcp = mcpCall('read_session', { id: BIG });
    const requests = [
      `GET /usage?agent=claude HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET /usage?groupBy=agent HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET /conversations/${BIG} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET /conversations/${BIG}/usage HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET /conversations/${BIG}/search?q=answer HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(mcp)}\r\n\r\n${mcp}`,
    ];
    // Gone at once, after a few milliseconds, and after the first bytes of the answer.
    const abandoned: Promise<void>[] = [];
    for (const text of requests) {
      for (const after of [0, 2, 10, 40, 'first-byte'] as const) {
        abandoned.push(
          new Promise((done) => {
            const socket = connect({ host: '127.0.0.1', port });
            socket.on('error', () => {});
            socket.once('close', () => done());
            socket.write(text);
            if (after === 'first-byte') socket.once('data', () => socket.destroy());
            else setTimeout(() => socket.destroy(), after);
          }),
        );
      }
    }
    await Promise.all(abandoned);
    const after = await eventually(() => held(app), (h) => JSON.stringify(h) === JSON.stringify(NOTHING_HELD), 15_000);
    expect(after).toEqual(NOTHING_HELD);
    expect(await eventually(fdCount, (n) => n <= fds, 15_000)).toBeLessThanOrEqual(fds);
    expect(inotifyWatches()).toBe(watches);
    const again = await httpGet(port, `/conversations/${BIG}`);
    expect(again.status).toBe(200);
    expect(again.body.equals(expected)).toBe(true);
    expect((await httpGet(port, '/healthz')).status).toBe(200);
    await app.close();
  }, 120_000);
});
