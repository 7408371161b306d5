#!/usr/bin/env node
// 48 clients at once against the built service (dist/cli.js) over a generated mixed home, on the
// request paths of both agents: `/usage?groupBy=agent`, the largest Claude session as JSON and as
// NDJSON, its `/usage`, `/mcp` tool calls, `/events` with Last-Event-ID. Prints the service's peak
// RSS (against the memory budget), /healthz latencies while the clients run, wrong answers, and the
// service's descriptors and inotify watches before and after (nothing may stay behind).
// docs/red-team.md ("redteam27") has a run. Usage:
//
//   node bench/generate-tree.mjs --sessions 2000 --big-mb 20 --claude 1000 --out /tmp/mixed
//   nice node bench/redteam-48.mjs --codex-home /tmp/mixed --claude-home /tmp/mixed-claude [--seconds 20] [--no-index]
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { memoryOf, sampleRss } from './process-memory.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS = 48;
const BUDGET_MIB = 256;

const { values } = parseArgs({
  options: {
    'codex-home': { type: 'string' },
    'claude-home': { type: 'string' },
    seconds: { type: 'string', default: '20' },
    'no-index': { type: 'boolean', default: false },
    port: { type: 'string', default: '18848' },
  },
});
if (!values['codex-home'] || !values['claude-home']) {
  process.stderr.write('usage: node bench/redteam-48.mjs --codex-home DIR --claude-home DIR [--seconds 20] [--no-index]\n');
  process.exit(2);
}
const port = Number(values.port);
const seconds = Number(values.seconds);

function get(path, headers = {}) {
  const started = performance.now();
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('error', () => {});
      res.on('close', () => done({ status: res.statusCode, body: Buffer.concat(chunks), ms: performance.now() - started }));
    });
    req.on('error', (err) => done({ status: 0, body: Buffer.from(String(err)), ms: performance.now() - started }));
    req.end();
  });
}

async function mcp(name, args) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body,
  });
  const text = await res.text();
  return { status: res.status, ok: res.status === 200 && JSON.parse(text).result?.isError !== true };
}

/** Reads an event stream (from `lastEventId`, or from now) until `want` `session` events came or `ms` passed; their ids. */
function replay(lastEventId, want, ms = 30_000) {
  return new Promise((done) => {
    const ids = [];
    let buffer = '';
    const headers = lastEventId === null ? {} : { 'last-event-id': lastEventId };
    const req = request({ host: '127.0.0.1', port, path: '/events', headers, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: session$/m.test(frame)) ids.push(/^id: (.*)$/m.exec(frame)?.[1]);
        }
        if (ids.length >= want) finish();
      });
      res.on('error', () => {});
      res.on('close', () => finish());
    });
    const timer = setTimeout(() => finish(), ms);
    let finished = false;
    function finish() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      req.destroy();
      done(ids);
    }
    req.on('error', () => finish());
    req.end();
  });
}

async function held(pid) {
  let fds = 0;
  let watches = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    fds += 1;
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target === 'anon_inode:inotify') {
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      watches += info.split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    }
  }
  return { fds, watches };
}

async function largestClaudeSession(home) {
  let best = { size: -1, id: null };
  const projects = join(home, 'projects');
  for (const dir of await readdir(projects)) {
    for (const name of await readdir(join(projects, dir))) {
      if (!/^[0-9a-f-]{36}\.jsonl$/.test(name)) continue;
      const { size } = await stat(join(projects, dir, name));
      if (size > best.size) best = { size, id: name.slice(0, 36), path: join(projects, dir, name) };
    }
  }
  return best;
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const indexDir = await mkdtemp(join(tmpdir(), 'redteam-48-'));
const homes = ['--codex-home', values['codex-home'], '--claude-home', values['claude-home']];
const args = [join(ROOT, 'dist/cli.js'), ...homes, '--port', String(port)];
args.push(...(values['no-index'] ? ['--no-index'] : ['--index-path', join(indexDir, 'index.sqlite')]), '--log-level', 'warn');
const server = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
try {
  for (let i = 0; ; i++) {
    const r = await get('/readyz');
    const body = r.status === 200 || r.status === 503 ? JSON.parse(r.body.toString() || '{}') : {};
    if (r.status === 200 && (values['no-index'] || body.index?.complete)) break;
    if (i > 3000) throw new Error('the service did not become ready');
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const big = await largestClaudeSession(values['claude-home']);
  const expected = {
    usage: (await get('/usage?groupBy=agent')).body.toString(),
    json: (await get(`/conversations/${big.id}`)).body.length,
    ndjson: (await get(`/conversations/${big.id}?format=ndjson`)).body,
    sessionUsage: JSON.stringify(JSON.parse((await get(`/conversations/${big.id}/usage`)).body.toString()).totals),
  };
  // Events to replay: one subscriber starts the log; three appends to Claude sessions follow.
  const firstIds = replay(null, 3, 30_000);
  await new Promise((ok) => setTimeout(ok, 1000));
  const at = (n) => new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toISOString();
  const line = (n) => JSON.stringify({ type: 'system', subtype: 'redteam', timestamp: at(n) });
  // Apart, so that each append is a change of its own (the watcher debounces).
  for (let n = 0; n < 3; n++) {
    await appendFile(big.path, line(n) + '\n');
    await new Promise((ok) => setTimeout(ok, 1500));
  }
  const replayIds = await firstIds;
  if (replayIds.length !== 3) throw new Error(`expected 3 events, got ${replayIds}`);
  const fromId = String(Number(replayIds[0]) - 1);
  const idle = await memoryOf(server.pid);
  const startRss = sampleRss(server.pid);
  await new Promise((ok) => setTimeout(ok, 1000));
  const before = await held(server.pid);

  const health = [];
  const wrong = [];
  const counts = {};
  let running = true;
  const deadline = Date.now() + seconds * 1000;
  const probe = (async () => {
    while (running) {
      const r = await get('/healthz');
      health.push(r.status === 200 ? r.ms : Infinity);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();
  const client = async (n) => {
    while (Date.now() < deadline) {
      const kind = ['usage', 'json', 'ndjson', 'session-usage', 'mcp', 'events'][n % 6];
      counts[kind] = (counts[kind] ?? 0) + 1;
      if (kind === 'usage') {
        const r = await get('/usage?groupBy=agent');
        if (r.status !== 200 || r.body.toString() !== expected.usage) wrong.push(`${kind} ${r.status}`);
      } else if (kind === 'json') {
        const r = await get(`/conversations/${big.id}`);
        if (r.status !== 200) wrong.push(`${kind} ${r.status}`);
      } else if (kind === 'ndjson') {
        const r = await get(`/conversations/${big.id}?format=ndjson`);
        // Three lines were appended since `expected` was read.
        if (r.status !== 200 || !r.body.subarray(0, expected.ndjson.length).equals(expected.ndjson)) wrong.push(`${kind} ${r.status}`);
      } else if (kind === 'session-usage') {
        const r = await get(`/conversations/${big.id}/usage`);
        const totals = r.status === 200 ? JSON.stringify(JSON.parse(r.body.toString()).totals) : null;
        if (totals !== expected.sessionUsage) wrong.push(`${kind} ${r.status}`);
      } else if (kind === 'mcp') {
        const r = n % 12 === 4 ? await mcp('session_usage', { id: big.id }) : await mcp('search_sessions', { q: 'health check' });
        if (!r.ok) wrong.push(`${kind} ${r.status}`);
      } else {
        const ids = await replay(fromId, 3);
        if (JSON.stringify(ids) !== JSON.stringify(replayIds)) wrong.push(`events ${ids}`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
  const elapsed = (performance.now() - started) / 1000;
  running = false;
  await probe;
  const peak = await startRss.stop();
  await new Promise((ok) => setTimeout(ok, 3000));
  const after = await held(server.pid);
  const okHealth = health.filter(Number.isFinite);
  const report = {
    mode: values['no-index'] ? 'scan' : 'index',
    clients: CLIENTS,
    seconds: Number(elapsed.toFixed(1)),
    requests: counts,
    wrong: wrong.length,
    wrongFirst: wrong.slice(0, 5),
    claudeSession: { id: big.id, bytes: big.size },
    idleRssMiB: idle === null ? null : Number(idle.rssMb.toFixed(0)),
    peakRssMiB: peak === null ? null : Number(peak.toFixed(0)),
    budgetMiB: BUDGET_MIB,
    healthz: {
      answered: okHealth.length,
      failed: health.length - okHealth.length,
      p50ms: percentile(okHealth, 50),
      p99ms: percentile(okHealth, 99),
      maxMs: Math.max(...okHealth),
    },
    before,
    after,
    load: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
  };
  for (const k of ['p50ms', 'p99ms', 'maxMs']) report.healthz[k] = Number(report.healthz[k]?.toFixed(0));
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (report.wrong > 0 || report.healthz.failed > 0 || after.fds > before.fds || after.watches !== before.watches) process.exitCode = 1;
} finally {
  server.kill('SIGTERM');
  await new Promise((ok) => server.once('exit', ok));
  await rm(indexDir, { recursive: true, force: true });
}
