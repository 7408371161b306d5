import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REAL_HOME, envelopeLines, tempHome, uuidN, writeSession } from './helper.js';
import { SseClient } from './sse.js';

// `npm test` builds first (pretest), so the real entry point is what runs here.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function listeningPort(proc: ReturnType<typeof start>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const m = /"msg":"Server listening at http:\/\/127\.0\.0\.1:(\d+)"/.exec(proc.out());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server did not start: ${proc.out()} ${proc.err()}`);
}

function get(port: number, path: string, onResponse?: (res: IncomingMessage) => void) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      onResponse?.(res);
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function kill(child: ChildProcess) {
  if (child.exitCode === null) child.kill('SIGKILL');
}

describe('cli', () => {
  it('refuses to bind a non-loopback address without a token, exit code 2', async () => {
    const proc = start(['--host', '0.0.0.0', '--port', '0', '--codex-home', REAL_HOME]);
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toContain('refusing to listen on 0.0.0.0 without a token');
  });

  it('refuses a bad --pricing file with exit code 2, and costs usage with a good one', async () => {
    const dir = await tempHome();
    await writeFile(join(dir, 'bad.json'), '{"models": {"mock-model": {"input": 1}}}');
    const bad = start(['--codex-home', REAL_HOME, '--port', '0', '--no-index', '--pricing', join(dir, 'bad.json')]);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain('models["mock-model"].cachedInput must be a number');
    const prices = { models: { 'mock-model': { input: 1000, cachedInput: 100, output: 2000 } } };
    await writeFile(join(dir, 'prices.json'), JSON.stringify(prices));
    const proc = start(['--codex-home', REAL_HOME, '--port', '0', '--no-index'], { CODEX_SESSIONS_PRICING: join(dir, 'prices.json') });
    try {
      const port = await listeningPort(proc);
      const res = await get(port, '/conversations/01a20b7f-b328-76c3-845d-05f34097390d/usage');
      expect(res.status).toBe(200);
      // (1255 − 100) × 1000 + 100 × 100 + 42 × 2000, per 1M tokens
      expect(JSON.parse(res.body).totals).toMatchObject({ totalTokens: 1297, costUSD: 1.249 });
      expect(JSON.parse(res.body).unpricedModels).toEqual([]);
    } finally {
      kill(proc.child);
    }
  });

  it('serves the Codex home given on the command line', async () => {
    const proc = start(['--codex-home', REAL_HOME, '--port', '0']);
    try {
      const port = await listeningPort(proc);
      const res = await get(port, '/conversations?limit=1&head=0');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).items[0].id).toBe('01a20b7f-b328-76c3-845d-05f34097390d');
    } finally {
      kill(proc.child);
    }
  });

  it('on SIGTERM lets an in-flight stream finish, then exits 0', async () => {
    const home = await tempHome();
    const big = Array.from({ length: 4000 }, (_, i) => ({
      timestamp: 't',
      type: 'event_msg',
      payload: { type: 'pad', i, pad: 'z'.repeat(1000) },
    }));
    const spec = { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'big' };
    await writeSession(home, spec, [...envelopeLines(spec), ...big]);
    const proc = start(['--codex-home', home, '--port', '0', '--log-level', 'info'], { CODEX_HOME: home });
    try {
      const port = await listeningPort(proc);
      const response = get(port, `/conversations/${uuidN(1)}`, () => proc.child.kill('SIGTERM'));
      const { status, body } = await response;
      const finishedAt = Date.now();
      expect(status).toBe(200);
      expect(JSON.parse(body).records).toHaveLength(big.length + 5);
      expect(await proc.exited).toBe(0);
      // Not held open by the client's idle keep-alive socket (Node's agent keeps it 5 s).
      expect(Date.now() - finishedAt).toBeLessThan(2000);
      expect(proc.out()).toContain('shutting down');
    } finally {
      kill(proc.child);
    }
  });

  it('on SIGTERM ends open event streams cleanly and exits 0 promptly', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'live' });
    const proc = start(['--codex-home', home, '--port', '0', '--log-level', 'info', '--no-index']);
    try {
      const port = await listeningPort(proc);
      const streams = [new SseClient(port, '/events'), new SseClient(port, `/conversations/${uuidN(1)}/events`)];
      await Promise.all(streams.map((c) => c.until((x) => x.events.length > 0)));
      const signalled = Date.now();
      proc.child.kill('SIGTERM');
      await Promise.all(streams.map((c) => c.until((x) => x.ended)));
      expect(streams.map((c) => c.complete)).toEqual([true, true]);
      expect(await proc.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(3000);
    } finally {
      kill(proc.child);
    }
  });
});
