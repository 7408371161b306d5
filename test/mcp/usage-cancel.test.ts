// An MCP usage call whose client goes away stops its scan, as GET /usage does
// (test/http/usage-abandoned.test.ts; docs/mcp.md, "Bounds"): usage_report and session_usage
// over a Claude home without an index read every file. Which files were read is told by their
// access times (set long before their mtimes, so that the next read moves them: relatime). The
// scan is held at its first files by holding the long-line pool (each file has a line past the
// hold bound), so the client leaves mid-scan whatever the machine's speed.
import { request } from 'node:http';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp, tempHome } from '../helper.js';
import { eventually, listen } from '../net.js';
import { claudeAnswer as answer, claudePrompt as prompt } from '../claude-lines.js';

const FILES = 150;
const longAgo = new Date('2001-01-01T00:00:00Z');
const uuid = (n: number) => `d0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const connections = (app: FastifyInstance) =>
  new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

async function claudeHome(): Promise<{ home: string; paths: string[] }> {
  const home = await tempHome();
  const project = join(home, 'projects', '-w');
  await mkdir(project, { recursive: true });
  const long = 'lorem ipsum dolor sit amet '.repeat(3000); // 81 KB: past the 64 KiB hold bound
  const paths: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const id = uuid(i + 1);
    const path = join(project, `${id}.jsonl`);
    await writeFile(path, [prompt(id, i * 10, `s${i}`), answer(id, i * 10 + 1, long)].join('\n') + '\n');
    // Whole seconds: setting the access time below keeps the mtime exact, so the walk's keys stay known.
    await utimes(path, longAgo, new Date(Date.UTC(2026, 0, 3) + i * 1000));
    paths.push(path);
  }
  return { home, paths };
}

/** Every file's access time long before its mtime: the next read of it moves it. */
const unread = async (paths: string[]) => {
  for (const p of paths) {
    const { mtime } = await stat(p);
    await utimes(p, longAgo, mtime);
  }
};

const readCount = async (paths: string[]) => {
  let n = 0;
  for (const p of paths) if ((await stat(p)).atimeMs > longAgo.getTime()) n++;
  return n;
};

const call = (name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

describe.each([
  ['usage_report', { groupBy: 'day' }],
  ['session_usage', { id: uuid(FILES) }],
])('an MCP %s whose client goes away (no index)', (name, args) => {
  it('stops reading files; the next call reads them all', async () => {
    const { home, paths } = await claudeHome();
    const app = await buildTestApp(await tempHome(), { agents: ['claude'], claudeHome: home });
    const port = await listen(app);
    const { lines, requests } = app.memoryBudget;
    const body = call(name, args);
    const type = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    // Over a connection closed after it: a kept-alive one would count below until the server's
    // keep-alive timeout (about 3 s), not only the connection of the client that goes away.
    const whole = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { ...type, connection: 'close' }, body });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { result: { isError?: boolean } }).result.isError).not.toBe(true);
    };
    // A Claude walk reads each file's head for its order, once while the file stats the same: the
    // heads are read here, so that what the call below reads is its count's.
    await whole();
    await unread(paths);
    const hold = await lines.acquire(lines.capacity);

    const headers = { ...type, 'content-length': Buffer.byteLength(body) };
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers });
    req.on('error', () => {});
    req.end(body);
    // The scan has started reading (and waits for the line pool): the client goes away.
    expect(await eventually(() => readCount(paths), (n) => n > 0, 25_000)).toBeGreaterThan(0);
    req.destroy();
    expect(await eventually(() => connections(app), (n) => n === 0, 10_000)).toBe(0);
    hold();
    await eventually(() => requests.inUse + lines.inUse, (n) => n === 0, 120_000);
    // Once more: a scan that went on would be reading still (its files are read one after the other).
    await new Promise((r) => setImmediate(r));
    expect(await readCount(paths)).toBeLessThan(FILES / 2);

    await whole();
    expect(await readCount(paths)).toBe(FILES);
  }, 180_000);
});
