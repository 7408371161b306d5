#!/usr/bin/env node
// Two or more builds (or flag sets) side by side on one tree, for a loaded machine: each service
// gets an index file of its own (copy one complete index per side first: a build of another
// schema rebuilds it), the bench waits until every index is complete, then sends the paths one
// request at a time, interleaved over the sides, and prints each side's p50 and its CPU time per
// request (from /proc, the figure to compare under load). Without the cache of built bodies.
//
//   node bench/side-by-side.mjs --home TREE [--n 30] --path '/search?q=Mock%20reply' [--path ...] \
//     -- before:OLD/dist/cli.js:/tmp/a/index.sqlite after:dist/cli.js:/tmp/b/index.sqlite[:--agents,codex]
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { memoryOf } from './process-memory.mjs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
/** CPU time (user + system) a process has used, in ms (Linux /proc). */
async function cpuMsOf(pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const get = (port, path) =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      })
      .on('error', reject);
  });

const split = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, split),
  options: { home: { type: 'string' }, n: { type: 'string', default: '30' }, path: { type: 'string', multiple: true, default: [] } },
});
const n = Number(values.n);
const sides = [];
for (const spec of process.argv.slice(split + 1)) {
  const [label, cli, index, extra] = spec.split(':');
  const port = await freePort();
  const args = [cli, '--codex-home', values.home, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn',
    '--response-cache-mb', '0', '--index-path', index, ...(extra ? extra.split(',') : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  sides.push({ label, port, child, times: new Map(), cpu: new Map() });
}
try {
  for (const s of sides) {
    for (;;) {
      const res = await get(s.port, '/readyz').catch(() => null);
      if (res?.status === 200 && JSON.parse(res.body).index?.complete) break;
      await sleep(200);
    }
    process.stderr.write(`${s.label}: index complete, RSS ${(await memoryOf(s.child.pid)).rssMb.toFixed(1)} MB\n`);
  }
  for (const path of values.path) {
    for (const s of sides) {
      for (let i = 0; i < 3; i++) {
        const res = await get(s.port, path);
        if (res.status !== 200) throw new Error(`${s.label} GET ${path} -> ${res.status}`);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (const path of values.path) {
      for (const s of sides) {
        const cpu0 = await cpuMsOf(s.child.pid);
        const t = performance.now();
        await get(s.port, path);
        const ms = performance.now() - t;
        const cpu = (await cpuMsOf(s.child.pid)) - cpu0;
        s.times.set(path, [...(s.times.get(path) ?? []), ms]);
        s.cpu.set(path, (s.cpu.get(path) ?? 0) + cpu);
      }
    }
  }
  for (const path of values.path) {
    for (const s of sides) {
      const sorted = [...s.times.get(path)].sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)];
      console.log(`${path}\t${s.label}\tp50 ${p50.toFixed(2)} ms\tCPU ${(s.cpu.get(path) / n).toFixed(1)} ms/request`);
    }
  }
} finally {
  for (const s of sides) s.child.kill('SIGTERM');
}
