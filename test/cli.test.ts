import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, chmod, writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REAL_HOME, envelopeLines, rolloutRelPath, tempHome, uuidN, writeSession } from './helper.js';
import { eventually } from './net.js';
import { SseClient } from './sse.js';
import { REAL_CLAUDE_HOME as CLAUDE_HOME } from './rollout/sources/claude/claude-home.js';

// `npm test` builds first (pretest), so the real entry point is what runs here.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** As root, file modes do not stop reads: run as nobody to see what an unreadable directory does. */
const AS_UNPRIVILEGED = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];

function start(args: string[], env: NodeJS.ProcessEnv = {}, prefix: string[] = []) {
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args] as [string, ...string[]];
  const child = spawn(command, rest, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function listeningPort(proc: ReturnType<typeof start>, host = '127.0.0.1'): Promise<number> {
  const listening = new RegExp(`"msg":"Server listening at http://${host.replace(/[.[\]]/g, '\\$&')}:(\\d+)"`);
  for (let i = 0; i < 200; i++) {
    const m = listening.exec(proc.out());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server did not start: ${proc.out()} ${proc.err()}`);
}

function get(port: number, path: string, onResponse?: (res: IncomingMessage) => void, host = '127.0.0.1') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host, port, path }, (res) => {
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

/** A GET on `agent`'s connection (a keep-alive agent of one socket reuses it), with the response headers. */
function getOn(agent: Agent, port: number, path: string) {
  return new Promise<{ status: number; body: string; retryAfter: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }));
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

  // Issue 17, item 12: start-up printed raw JSON only.
  it('at a terminal prints one human line with the dashboard URL; piped, its output is JSON lines only', async () => {
    const args = ['--codex-home', REAL_HOME, '--claude-home', CLAUDE_HOME, '--port', '0', '--no-index'];
    // script(1) gives the server a pseudo-terminal as its stdout.
    const command = [process.execPath, CLI, ...args].join(' ');
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    terminal.stdout.on('data', (d) => (output += d));
    const tty = { child: terminal, out: () => output };
    // The piped server starts meanwhile: the two start-ups overlap.
    const piped = start(args);
    try {
      try {
        const line = await eventually(() => /codex-sessions: dashboard at http:\/\/127\.0\.0\.1:(\d+)\/, serving ([^;]+);/.exec(tty.out()), (m) => m !== null, 10_000);
        // Both agents' homes are named: the service is not Codex's only.
        expect(line?.[2]).toBe(`${REAL_HOME} and ${CLAUDE_HOME}`);
        const page = await get(Number(line?.[1]), '/');
        expect(page.status).toBe(200);
      } finally {
        // SIGTERM: script(1) ends the server and the terminal together (SIGKILL would orphan the
        // server). It exits 2 s after its child has (util-linux: it waits, then SIGKILLs the child
        // already gone); signalling the server instead left it orphaned and crashing in a loop in 2
        // of 14 runs (branch trim34b).
        tty.child.kill('SIGTERM');
        await new Promise((resolve) => (tty.child.exitCode === null ? tty.child.once('exit', resolve) : resolve(null)));
      }
      await listeningPort(piped);
      await eventually(() => piped.out(), (out) => out.includes('serving sessions'));
      const lines = piped.out().trim().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
      expect(piped.out()).not.toContain('dashboard at');
    } finally {
      kill(piped.child);
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

  it('listens on --host [::1] (an IPv6 address in brackets)', async () => {
    const proc = start(['--codex-home', REAL_HOME, '--port', '0', '--host', '[::1]', '--no-index']);
    try {
      const port = await listeningPort(proc, '[::1]');
      expect((await get(port, '/healthz', undefined, '::1')).status).toBe(200);
    } finally {
      kill(proc.child);
    }
  });

  it('out of file descriptors (idle connections) → 503 with Retry-After, never a wrong 404, empty page or lost index row', async () => {
    const home = await tempHome();
    for (let i = 1; i <= 3; i++) {
      await writeSession(home, { stamp: `2025-01-0${i}T00-00-00`, id: uuidN(i), title: `t${i}`, cwd: '/home/dev/web-app' });
    }
    const indexPath = join(await tempHome(), 'index.sqlite');
    const proc = start(['--codex-home', home, '--port', '0', '--index-path', indexPath], {}, ['prlimit', '--nofile=80', '--']);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const flood: Socket[] = [];
    try {
      const port = await listeningPort(proc);
      await eventually(() => getOn(agent, port, '/readyz'), (r) => JSON.parse(r.body).index.complete === true, 10_000);
      // Every descriptor the process may have left goes to an idle connection.
      for (let i = 0; i < 120; i++) flood.push(connect({ host: '127.0.0.1', port }).on('error', () => {}));
      await new Promise((r) => setTimeout(r, 500));
      // A change the indexer reads meanwhile: its row must not be dropped as if the file were gone.
      await appendFile(join(home, rolloutRelPath('2025-01-02T00-00-00', uuidN(2))), '\n');
      await new Promise((r) => setTimeout(r, 500));
      for (const path of [`/conversations/${uuidN(1)}`, `/conversations/${uuidN(1)}?format=ndjson`, '/conversations?head=0']) {
        const res = await getOn(agent, port, path);
        expect([res.status, JSON.parse(res.body).code, res.retryAfter]).toEqual([503, 'SERVICE_UNAVAILABLE', '2']);
      }
      for (const socket of flood) socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      expect((await getOn(agent, port, `/conversations/${uuidN(1)}`)).status).toBe(200);
      for (const query of ['head=0', 'cwd=/home/dev/web-app&head=0']) {
        const page = JSON.parse((await getOn(agent, port, `/conversations?${query}`)).body);
        expect(page.items.map((i: { id: string }) => i.id)).toEqual([uuidN(3), uuidN(2), uuidN(1)]);
      }
      expect(JSON.parse((await getOn(agent, port, '/readyz')).body).degraded).toEqual([]);
    } finally {
      for (const socket of flood) socket.destroy();
      agent.destroy();
      kill(proc.child);
    }
  });

  it('skips an unreadable day directory (logged once), lists the rest, and /readyz says what is degraded (item 6)', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'readable' });
    await writeSession(home, { stamp: '2025-01-02T00-00-00', id: uuidN(2), title: 'hidden' });
    for (const dir of ['', 'sessions', 'sessions/2025', 'sessions/2025/01', 'sessions/2025/01/01']) await chmod(join(home, dir), 0o755);
    await chmod(join(home, 'sessions/2025/01/02'), 0o000);
    // An unreadable session_index.jsonl too: names are null, and /readyz names no absolute path.
    const named = { id: uuidN(1), thread_name: 'named', updated_at: '2025-01-01T00:00:00Z' };
    await writeFile(join(home, 'session_index.jsonl'), `${JSON.stringify(named)}\n`);
    await chmod(join(home, 'session_index.jsonl'), 0o000);
    const proc = start(['--codex-home', home, '--port', '0', '--no-index', '--log-level', 'info'], {}, AS_UNPRIVILEGED);
    try {
      const port = await listeningPort(proc);
      for (const query of ['limit=1', 'limit=10', 'order=asc']) {
        const res = await get(port, `/conversations?${query}&head=0`);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body).items.map((i: { id: string; name: string | null }) => [i.id, i.name])).toEqual([[uuidN(1), null]]);
      }
      expect(JSON.parse((await get(port, `/conversations/${uuidN(1)}`)).body).conversation.name).toBeNull();
      const ready = await get(port, '/readyz');
      const reason = 'cannot read sessions/2025/01/02 (EACCES): its sessions are skipped';
      const names = 'cannot open session_index.jsonl (EACCES): user-set names are null';
      expect(JSON.parse(ready.body)).toMatchObject({ status: 'degraded' });
      expect(JSON.parse(ready.body).degraded.sort()).toEqual([names, reason].sort());
      expect(ready.body).not.toContain(home);
      const warnings = proc.out().split('\n').filter((l) => l.includes('"degraded":"dir:sessions/2025/01/02"'));
      expect(warnings).toHaveLength(1);
    } finally {
      kill(proc.child);
      await chmod(join(home, 'sessions/2025/01/02'), 0o755);
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
