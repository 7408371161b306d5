#!/usr/bin/env node
// Issue 17, item 7: one session file of many `token_usage_record` lines (300,000 by default,
// ~100 MB). A fresh service (a new index) is started on it; the figures are the index build's
// wall time and CPU time (from process start until /readyz says the index is complete) and its
// peak RSS, then one `GET /conversations/<id>/usage` (time, body size).
//
//   npm run build && node bench/usage-records.mjs                       300,000 lines, dist/cli.js
//   node bench/usage-records.mjs --lines 50000                          a smaller file
//   node bench/usage-records.mjs --cli old/dist/cli.js --cli dist/cli.js --rounds 2
//                                                                       two builds, interleaved (A B A B)
//   node bench/usage-records.mjs --session-usage --concurrent 3 --cli old/dist/cli.js --cli dist/cli.js
//       per-session usage alone: a fresh service without an index (--no-index) per run, then
//       `--concurrent` GETs of /conversations/<id>/usage at once; the figures are the service's CPU
//       seconds for them, its peak RSS (VmHWM of the fresh process), the statuses and the wall time
//   --home DIR      reuse (or write once into) DIR instead of a temp home removed at the end
//   --memory-budget MIB   passed to the service (per-session usage only)
//
// Exit status 1 when a service failed or an answer was not 200.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleRss } from './process-memory.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
const ID = '01a20c00-0000-7000-8000-0000000000c7';
const STAMP = '2026-11-24T10-00-00';

/** A home (temp unless `dir`): one session whose lines after its head are `lines` token_usage_record lines. */
export async function buildHome(lines, dir = null) {
  const home = dir ?? (await mkdtemp(join(os.tmpdir(), 'codex-usage-records-')));
  const day = join(home, 'sessions/2026/11/24');
  const path = join(day, `rollout-${STAMP}-${ID}.jsonl`);
  if (dir !== null && (await stat(path).catch(() => null)) !== null) return home; // written by an earlier run
  await mkdir(day, { recursive: true });
  const out = createWriteStream(path);
  const ts = '2026-11-24T10:00:00.000Z';
  const write = (obj) => (out.write(`${JSON.stringify(obj)}\n`) ? null : once(out, 'drain'));
  write({ timestamp: ts, type: 'session_meta', payload: { id: ID, timestamp: ts, cwd: '/home/dev/usage', originator: 'codex_cli_rs',
    cli_version: '0.169.0', source: 'cli', model_provider: 'openai' } });
  write({ timestamp: ts, type: 'event_msg', payload: { type: 'user_message', message: 'count every response', images: [] } });
  write({ timestamp: ts, type: 'turn_context', payload: { cwd: '/home/dev/usage', model: 'gpt-5' } });
  const usage = { input_tokens: 10, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0, total_tokens: 11,
    cache_write_input_tokens: 0 };
  for (let i = 0; i < lines; i++) {
    const at = new Date(Date.parse(ts) + i * 1000).toISOString();
    const wait = write({ timestamp: at, type: 'token_usage_record',
      payload: { thread_id: ID, session_id: ID, response_id: `resp_${i}`, model: 'gpt-5', usage } });
    if (wait !== null) await wait;
  }
  out.end();
  await once(out, 'close');
  return home;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

export function get(port, path) {
  return new Promise((resolveGet) => {
    const req = request({ host: HOST, port, path, agent: false, timeout: 600_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolveGet({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolveGet({ status: 0, body: err.message }));
    req.end();
  });
}

/** CPU seconds (user + system) the process has used, from /proc. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

/** A fresh service without an index on `home`: `concurrent` per-session usage answers at once. */
async function sessionUsageOnce(cli, home, concurrent, expectedTokens, budgetMiB) {
  const port = await freePort();
  const args = [cli, '--codex-home', home, '--host', HOST, '--port', String(port), '--log-level', 'warn', '--no-index'];
  if (budgetMiB !== undefined) args.push('--memory-budget', budgetMiB);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let n = 0; (await get(port, '/healthz')).status !== 200; n++) {
      if (n > 300) throw new Error('service did not start');
      await sleep(100);
    }
    const cpu0 = await cpuSeconds(child.pid);
    const sampler = sampleRss(child.pid);
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: concurrent }, () => get(port, `/conversations/${ID}/usage`)));
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = (await cpuSeconds(child.pid)) - cpu0;
    const bodies = answers.map((a) => (a.status === 200 ? JSON.parse(a.body) : null));
    return {
      ok: answers.every((a, i) => a.status === 200 && bodies[i].totals.totalTokens === expectedTokens),
      concurrent,
      statuses: answers.map((a) => a.status),
      wallS: Math.round(wallS * 10) / 10,
      cpuS: Math.round(cpuS * 10) / 10,
      peakRssMb: Math.round(((await sampler.stop()) ?? 0) * 10) / 10,
      bodyKb: Math.round((answers[0]?.body.length ?? 0) / 1024),
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), sleep(5_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** One fresh service on `home` (a new index): its index build and one usage answer. */
async function runOnce(cli, home, expectedTokens) {
  const indexDir = await mkdtemp(join(os.tmpdir(), 'codex-usage-records-index-'));
  const port = await freePort();
  const args = [cli, '--codex-home', home, '--host', HOST, '--port', String(port), '--log-level', 'warn',
    '--index-path', join(indexDir, 'index.sqlite')];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const sampler = sampleRss(child.pid);
  try {
    let buildMs = null;
    while (buildMs === null) {
      const res = await get(port, '/readyz');
      if (res.status === 200 && JSON.parse(res.body).index?.complete) buildMs = performance.now() - started;
      else if (performance.now() - started > 30 * 60_000) throw new Error('index not complete after 30 min');
      else await sleep(100);
    }
    const buildCpuS = await cpuSeconds(child.pid);
    const t0 = performance.now();
    const usage = await get(port, `/conversations/${ID}/usage`);
    const usageMs = performance.now() - t0;
    const list = await get(port, `/conversations?limit=1`);
    const listed = list.status === 200 ? JSON.parse(list.body).items[0]?.usage?.totalTokens : null;
    const body = usage.status === 200 ? JSON.parse(usage.body) : null;
    return {
      ok: usage.status === 200 && body.totals.totalTokens === expectedTokens && listed === expectedTokens,
      buildS: Math.round(buildMs / 100) / 10,
      buildCpuS: Math.round(buildCpuS * 10) / 10,
      peakRssMb: Math.round(((await sampler.stop()) ?? 0) * 10) / 10,
      usageS: Math.round(usageMs / 100) / 10,
      usageBodyKb: Math.round(usage.body.length / 1024),
      usageTokens: body?.totals.totalTokens ?? null,
      listTokens: listed ?? null,
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), sleep(5_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(indexDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '300000' },
      cli: { type: 'string', multiple: true },
      rounds: { type: 'string', default: '1' },
      'session-usage': { type: 'boolean', default: false },
      concurrent: { type: 'string', default: '1' },
      home: { type: 'string' },
      'memory-budget': { type: 'string' },
    },
  });
  const lines = Number(values.lines);
  const clis = (values.cli ?? [join(HERE, '..', 'dist', 'cli.js')]).map((c) => resolve(c));
  const say = (m) => process.stderr.write(`[usage-records] ${m}\n`);
  say(`writing ${lines} token_usage_record lines`);
  const home = await buildHome(lines, values.home === undefined ? null : resolve(values.home));
  let ok = true;
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const cli of clis) {
        say(`round ${round + 1}: ${cli}`);
        const row = values['session-usage']
          ? await sessionUsageOnce(cli, home, Number(values.concurrent), lines * 11, values['memory-budget'])
          : await runOnce(cli, home, lines * 11);
        ok &&= row.ok;
        process.stdout.write(`${JSON.stringify({ cli, round: round + 1, lines, ...row })}\n`);
      }
    }
  } finally {
    if (values.home === undefined) await rm(home, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}
