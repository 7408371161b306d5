// An abandoned GET /usage stops (issue 17 item 5; docs/red-team.md, redteam27 finding 5): without
// an index it reads every file of the home, seconds of CPU that nobody would read once the client
// has gone. Which files it read is told by their access times (set long before their mtimes, so
// that the first read moves them: relatime). The scan is held at its first files by holding the
// long-line pool (each file has a line past the hold bound), so the client leaves mid-scan
// whatever the machine's speed.
import { request } from 'node:http';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect, it } from 'vitest';
import { appFor, buildTestApp, envelopeLines, indexReady, tempHome, uuidN, writeSession } from '../helper.js';
import { eventually, listen } from '../net.js';
import { claudeAnswer as answer } from '../claude-lines.js';

const FILES = 200;
const ts = '2025-05-01T10:00:00.000Z';
const userSays = (text: string) => ({ timestamp: ts, type: 'event_msg', payload: { type: 'user_message', message: text, images: [] } });

const connections = (app: FastifyInstance) =>
  new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

it('an abandoned GET /usage stops reading files once its client is gone (no index)', async () => {
  const home = await tempHome();
  const paths: string[] = [];
  const long = 'lorem ipsum dolor sit amet '.repeat(3000); // 81 KB: past the 64 KiB hold bound
  for (let i = 0; i < FILES; i++) {
    const two = (n: number) => String(n).padStart(2, '0');
    const spec = { stamp: `2025-05-01T10-${two(Math.floor(i / 60))}-${two(i % 60)}`, id: uuidN(i + 1), title: `s${i}` };
    paths.push(join(home, await writeSession(home, spec, [...envelopeLines(spec), userSays(long)])));
  }
  const longAgo = new Date('2001-01-01T00:00:00Z');
  const now = new Date();
  for (const p of paths) await utimes(p, longAgo, now);
  const readCount = async () => {
    let n = 0;
    for (const p of paths) if ((await stat(p)).atimeMs > longAgo.getTime()) n++;
    return n;
  };
  const app = await appFor(home, false);
  const port = await listen(app);
  const lines = app.memoryBudget.lines;
  const hold = await lines.acquire(lines.capacity);

  const req = request({ host: '127.0.0.1', port, path: '/usage?groupBy=day' });
  req.on('error', () => {});
  req.end();
  // The scan has started reading (and waits for the line pool): the client goes away.
  expect(await eventually(readCount, (n) => n > 0, 25_000)).toBeGreaterThan(0);
  req.destroy();
  expect(await eventually(() => connections(app), (n) => n === 0, 10_000)).toBe(0);
  hold();
  // The scan holds its share of the request pool until it ends, however it ends.
  await eventually(() => app.memoryBudget.requests.inUse + lines.inUse, (n) => n === 0, 120_000);
  expect(await readCount()).toBeLessThan(FILES / 2);

  // The next client is answered in full: every file read.
  const res = await fetch(`http://127.0.0.1:${port}/usage?groupBy=day`);
  expect(res.status).toBe(200);
  expect(await readCount()).toBe(FILES);
}, 180_000);


it("a Claude session's usage takes what its count holds from the request's lease, and stops when its client is gone", async () => {
  const claudeHome = await tempHome();
  const project = join(claudeHome, 'projects', '-w');
  await mkdir(project, { recursive: true });
  const BIG = 'b1000000-0000-4000-8000-000000000001';
  const SMALL = 'b1000000-0000-4000-8000-000000000002';
  const long = 'lorem ipsum dolor sit amet '.repeat(3000);
  // Many responses, then one on a long line, where the count waits while the line pool is held.
  const big = Array.from({ length: 4000 }, (_, n) => answer(BIG, n, `answer ${n}`));
  await writeFile(join(project, `${BIG}.jsonl`), [...big, answer(BIG, 4000, long)].join('\n') + '\n');
  await writeFile(join(project, `${SMALL}.jsonl`), [answer(SMALL, 0, 'one'), answer(SMALL, 1, long)].join('\n') + '\n');
  const indexPath = join(await tempHome(), 'i.sqlite');
  const app = await buildTestApp(await tempHome(), { agents: ['codex', 'claude'], claudeHome, indexPath });
  await indexReady(app);
  const port = await listen(app);
  const { requests, lines } = app.memoryBudget;

  /** What the request pool holds while the count of `id` waits at its long line; the client then goes away. */
  const heldWhileCounting = async (id: string) => {
    const hold = await lines.acquire(lines.capacity);
    const req = request({ host: '127.0.0.1', port, path: `/conversations/${id}/usage` });
    req.on('error', () => {});
    req.end();
    await eventually(() => lines.waiters, (n) => n > 0, 25_000);
    const held = requests.inUse;
    req.destroy();
    expect(await eventually(() => connections(app), (n) => n === 0, 10_000)).toBe(0);
    hold();
    await eventually(() => requests.inUse + lines.inUse, (n) => n === 0, 60_000);
    expect(requests.inUse + lines.inUse).toBe(0);
    return held;
  };
  const small = await heldWhileCounting(SMALL);
  const grown = await heldWhileCounting(BIG);
  // 4,000 responses held: past the count's first MiB, the lease grew by at least a step.
  expect(grown - small).toBeGreaterThanOrEqual(1024 * 1024);

  const res = await fetch(`http://127.0.0.1:${port}/conversations/${BIG}/usage`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { totals: { outputTokens: number } }).totals.outputTokens).toBe(4001 * 10);
}, 180_000);
