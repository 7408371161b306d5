#!/usr/bin/env node
// The index build of a Claude Code home alone (issue 20: the Claude half of the mixed build),
// in CPU seconds and peak RSS, for one build of the service or two side by side:
//
//   node bench/claude-build.mjs --sessions 10000 [--runs 2] [--cli dist/cli.js] [--against OTHER/dist/cli.js]
//                               [--home DIR] [--cpu-prof DIR] [--codex SESSIONS]
//
// Each run starts the service over the home (`--agents claude`, a fresh index in a temporary
// directory, an empty Codex home) and polls /readyz until the index is complete; then it reads
// the process's CPU time (user + system, all threads; the main thread apart) and VmHWM from /proc
// (Linux). With `--against`, the two builds alternate (against, cli, against, cli, ...): on a
// loaded machine only CPU time compared within one such run means much, and the load average is
// printed beside each run. `threadsS` is the CPU of each other thread still running at the end,
// named by its id less the process's (V8's platform workers, libuv's pool of four, the
// checkpoint worker: started last, the highest; a thread that ended is only in `cpuS`).
// The home is bench/generate-claude.mjs's (cached) unless `--home`.
// With `--codex N` the build is a mixed one (issue 20): the Codex home is bench/generate-tree.mjs's
// tree of N sessions (cached) and both agents are served, each index built in the one process.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ensureClaudeTree } from './generate-claude.mjs';
import { ensureTree } from './generate-tree.mjs';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '1' },
    cli: { type: 'string', default: 'dist/cli.js' },
    against: { type: 'string' },
    home: { type: 'string' },
    'cpu-prof': { type: 'string' },
    codex: { type: 'string' },
  },
});

const TICKS = 100; // USER_HZ on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The body of /readyz, or null while the service does not answer 200. */
function readyz(port) {
  return new Promise((res) => {
    const req = get({ host: '127.0.0.1', port, path: '/readyz', timeout: 10_000 }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => {
        try {
          res(r.statusCode === 200 ? JSON.parse(body) : null);
        } catch {
          res(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(null));
  });
}

/** CPU seconds of a process: all its threads, and its main thread. */
async function cpuOf(pid) {
  const fields = (text) => text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = (f) => Number(f[11]) + Number(f[12]);
  const all = ticks(fields(await readFile(`/proc/${pid}/stat`, 'utf8'))) / TICKS;
  const main = ticks(fields(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'))) / TICKS;
  // The other threads by name (libuv's pool, V8's GC helpers, the checkpoint worker): where the CPU off the main thread goes.
  const threads = {};
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    if (tid === String(pid)) continue;
    const text = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null);
    if (text === null) continue;
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    threads[`${name}:${Number(tid) - pid}`] = +(ticks(fields(text)) / TICKS).toFixed(2);
  }
  return { all, main, threads };
}

async function build(cli, home, label) {
  const dir = await mkdtemp(join(os.tmpdir(), 'claude-build-'));
  const codexHome = codexTree ?? join(dir, 'codex');
  if (codexTree === null) await mkdir(codexHome);
  const port = await freePort();
  const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof'], label)] : [];
  const args = [...prof, resolve(cli), '--codex-home', codexHome, '--claude-home', home,
    '--agents', codexTree === null ? 'claude' : 'codex,claude',
    '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--index-path', join(dir, 'index.sqlite')];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${label}: the service exited before its index was complete`);
      if ((await readyz(port))?.index?.complete === true) break;
      await sleep(250);
    }
    const wallS = (performance.now() - started) / 1000;
    const cpu = await cpuOf(child.pid);
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
    let indexBytes = 0;
    for (const name of await readdir(dir)) if (name.startsWith('index')) indexBytes += (await stat(join(dir, name))).size;
    return {
      label,
      wallS: +wallS.toFixed(1),
      cpuS: +cpu.all.toFixed(2),
      mainThreadS: +cpu.main.toFixed(2),
      threadsS: cpu.threads,
      peakRssMB: +(hwm / 1e6).toFixed(1),
      indexMiB: +(indexBytes / 2 ** 20).toFixed(1),
      load: os.loadavg().map((l) => +l.toFixed(1)),
    };
  } finally {
    child.kill('SIGTERM');
    while (!exited) await sleep(20);
    await rm(dir, { recursive: true, force: true });
  }
}

const home = values.home
  ? resolve(values.home)
  : (await ensureClaudeTree({ sessions: Number(values.sessions) })).dir;
const codexTree = values.codex ? (await ensureTree({ seed: 42, sessions: Number(values.codex) })).dir : null;
const builds = values.against ? [['against', values.against], ['cli', values.cli]] : [['cli', values.cli]];
const results = [];
for (let i = 0; i < Number(values.runs); i++) {
  for (const [label, cli] of builds) {
    const r = await build(cli, home, `${label}-${i + 1}`);
    results.push(r);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}
if (values.against) {
  const mean = (label) => {
    const rs = results.filter((r) => r.label.startsWith(`${label}-`));
    return rs.reduce((s, r) => s + r.cpuS, 0) / rs.length;
  };
  process.stdout.write(`CPU cli / against: ${(mean('cli') / mean('against')).toFixed(3)} (${home})\n`);
}
