#!/usr/bin/env node
// Issue 19: exporting the big session (~200 MB, made of the real 0.169 fixtures' records by
// generate-tree.mjs) as Markdown, redacted (the default) and not. Each export runs in a fresh
// service over one index built beforehand (as a user's service has: the header's usage comes from
// it, not from a second pass over the file), so that each peak RSS (VmHWM) is its own. Rounds
// alternate plain and redacted; the time of a variant is its fastest round. Targets: redaction makes
// export at most 2x slower; peak RSS bounded.
//
//   npm run build && node bench/export.mjs            200 MB session, 2 rounds
//   npm run build && node bench/export.mjs --quick    5 MB session, 1 round
//
// bench/run.mjs runs it as row 11 (`node bench/run.mjs --only export` runs this row alone).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureTree } from './generate-tree.mjs';
import { sampleRss } from './process-memory.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';

export const EXPORT_TARGETS = { redactedRatio: 2, peakRssMb: 200 };

function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

/** One GET, the body counted and dropped (no compression: the figure is the export's own work). */
function fetchDiscard(port, path) {
  return new Promise((done) => {
    const headers = { 'accept-encoding': 'identity' };
    const req = request({ host: HOST, port, path, headers, agent: false, timeout: 900_000 }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      const redactions = res.headers['x-redactions'] ?? null;
      res.on('close', () => done({ status: res.statusCode, bytes, complete: res.complete, redactions }));
      res.on('error', () => {});
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => done({ status: 0, bytes: 0, complete: false, error: err.message }));
    req.end();
  });
}

async function startService(cli, home, indexPath) {
  const port = await freePort();
  const args = [cli, '--codex-home', home, '--port', String(port), '--index-path', indexPath, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  for (let i = 0; i < 3000; i++) {
    const res = await getJson(port, '/readyz');
    if (res?.index?.complete) return { child, port };
    await sleep(200);
  }
  child.kill();
  throw new Error('the service did not start');
}

function getJson(port, path) {
  return new Promise((done) => {
    const req = request({ host: HOST, port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done(res.statusCode === 200 ? JSON.parse(body) : null));
    });
    req.on('error', () => done(null));
    req.end();
  });
}

/** One export in a fresh service: wall time, bytes, redactions and the service's peak RSS. */
async function exportOnce(cli, home, indexPath, id, redact) {
  const svc = await startService(cli, home, indexPath);
  try {
    const rss = sampleRss(svc.child.pid);
    const t0 = performance.now();
    const res = await fetchDiscard(svc.port, `/conversations/${id}/export?format=markdown&redact=${redact}`);
    const seconds = (performance.now() - t0) / 1000;
    const peakRssMb = await rss.stop();
    if (res.status !== 200 || !res.complete) throw new Error(`export (redact=${redact}) -> ${res.status}, complete ${res.complete}`);
    return { seconds, bytes: res.bytes, redactions: res.redactions === null ? null : Number(res.redactions), peakRssMb };
  } finally {
    svc.child.kill();
  }
}

const round = (n, d) => (n === null || n === undefined ? null : Math.round(n * 10 ** d) / 10 ** d);

/** Runs the scenario against `cli` (dist/cli.js); returns the two rows' figures and the ratio. */
export async function runExport({ cli, quick, seed = 42, say = () => {} }) {
  const bigMb = quick ? 5 : 200;
  const tree = await ensureTree({ seed, sessions: 200, bigMb, quiet: true });
  const big = tree.manifest.bigSession;
  const sessionMb = big.sizeBytes / 2 ** 20;
  say(`export: session ${big.id}, ${sessionMb.toFixed(0)} MiB, in ${tree.dir}`);
  const indexDir = await mkdtemp(join(os.tmpdir(), 'codex-export-bench-'));
  const indexPath = join(indexDir, 'index.sqlite');
  // The index is built once, in a service of its own: the measured services find it complete, and
  // their peak RSS is the export's, not the build's.
  (await startService(cli, tree.dir, indexPath)).child.kill();
  const runs = { plain: [], redacted: [] };
  for (let r = 0; r < (quick ? 1 : 2); r++) {
    for (const redact of [false, true]) {
      const run = await exportOnce(cli, tree.dir, indexPath, big.id, redact);
      const out = (run.bytes / 2 ** 20).toFixed(1);
      say(`  round ${r + 1}, redact=${redact}: ${run.seconds.toFixed(1)} s, ${out} MiB out, peak RSS ${run.peakRssMb?.toFixed(0)} MB`);
      runs[redact ? 'redacted' : 'plain'].push(run);
    }
  }
  await rm(indexDir, { recursive: true, force: true });
  const best = (list) => ({
    seconds: Math.min(...list.map((x) => x.seconds)),
    peakRssMb: Math.max(...list.map((x) => x.peakRssMb ?? 0)),
    bytes: list[0].bytes,
    redactions: list[0].redactions,
  });
  const plain = best(runs.plain);
  const redacted = best(runs.redacted);
  const rowOf = (v) => ({
    requests: 1,
    p50Ms: round(v.seconds * 1000, 0),
    mbPerSec: round(sessionMb / v.seconds, 1),
    peakRssMb: round(v.peakRssMb, 1),
    outputMb: round(v.bytes / 2 ** 20, 1),
    redactions: v.redactions,
  });
  return { sessionMb: round(sessionMb, 0), plain: rowOf(plain), redacted: rowOf(redacted), ratio: redacted.seconds / plain.seconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'codex-cli': { type: 'string' } } });
  const cli = resolve(values['codex-cli'] ?? join(HERE, '..', 'dist', 'cli.js'));
  const result = await runExport({ cli, quick: values.quick, say: (m) => process.stdout.write(`${m}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
