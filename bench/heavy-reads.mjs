#!/usr/bin/env node
// Issue 9, item 3: memory under concurrent heavy reads. A temporary Codex home holds one session
// of ~150 MB whose lines are 15 MiB each, plus a few ordinary sessions. A fresh service (default
// memory budget) then gets, all at once, JSON GETs of that session and list pages
// `?limit=5&head=100&tail=100` that include it. Every request must answer 200 with a complete
// body; the figure is the service's peak RSS (VmHWM).
//
//   npm run build && node bench/heavy-reads.mjs            the target: 24 + 24 requests, 15 MiB lines (~11 GB sent)
//   npm run build && node bench/heavy-reads.mjs --quick    a small version: 8 + 8 requests, 2 MiB lines
//   ... --shape image                                        the big lines are user messages with a data-URL image
//                                                           (issue 17 item 8) instead of tool outputs
//
// bench/run.mjs runs it as row 7 (quick in --quick runs). Exit status 1 when a request failed.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { memoryOf, sampleRss } from './process-memory.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const HERE = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
const MiB = 1024 * 1024;

export const HEAVY_TARGET_RSS_MB = 512;

export function heavyConfig(quick) {
  return quick
    ? { lineMiB: 2, bigLines: 10, jsonGets: 8, listPages: 8, smallSessions: 6 }
    : { lineMiB: 15, bigLines: 10, jsonGets: 24, listPages: 24, smallSessions: 6 };
}

const BIG_ID = '01a20c00-0000-7000-8000-00000000b16b';
const stampOf = (i) => `2026-11-24T0${Math.floor(i / 60)}-${String(i % 60).padStart(2, '0')}-00`;

function lineOf(obj) {
  return `${JSON.stringify(obj)}\n`;
}

function meta(id, stamp) {
  const ts = `${stamp.slice(0, 10)}T${stamp.slice(11).replaceAll('-', ':')}.000Z`;
  return lineOf({ timestamp: ts, type: 'session_meta', payload: { id, timestamp: ts, cwd: '/home/dev/heavy', originator: 'codex_exec',
    cli_version: '0.169.0', source: 'exec', model_provider: 'openai' } });
}

/** The start of one big line (its JSON string of `lineMiB` MiB follows, then `BIG_LINE_END[shape]`). */
const BIG_LINE_START = {
  tool: (n) => `{"timestamp":"t","type":"response_item","payload":{"type":"function_call_output","call_id":"c${n}","output":"`,
  // A user message pasting a screenshot, as Codex writes it: its text, then the image as a data URL.
  image: (n) =>
    `{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text",` +
    `"text":"what is wrong in screenshot ${n}?"},{"type":"input_image","image_url":"data:image/png;base64,`,
};
const BIG_LINE_END = { tool: '"}}\n', image: '"}]}}\n' };

/** The temp home: one session of `bigLines` lines of `lineMiB` MiB, the newest, and a few ordinary ones. */
async function buildHome(cfg, shape) {
  const home = await mkdtemp(join(os.tmpdir(), 'codex-heavy-'));
  const day = join(home, 'sessions/2026/11/24');
  await mkdir(day, { recursive: true });
  for (let i = 0; i < cfg.smallSessions; i++) {
    const id = `01a20c00-0000-7000-8000-${String(i).padStart(12, '0')}`;
    const out = createWriteStream(join(day, `rollout-${stampOf(i)}-${id}.jsonl`));
    out.write(meta(id, stampOf(i)));
    out.write(lineOf({ timestamp: 't', type: 'event_msg', payload: { type: 'user_message', message: `small session ${i}` } }));
    out.end();
    await once(out, 'close');
  }
  const stamp = stampOf(cfg.smallSessions + 1);
  const path = join(day, `rollout-${stamp}-${BIG_ID}.jsonl`);
  const out = createWriteStream(path);
  out.write(meta(BIG_ID, stamp));
  // With images, the first user message is an image line: the title is searched for in it.
  const ask = { timestamp: 't', type: 'event_msg', payload: { type: 'user_message', message: 'read the big logs' } };
  if (shape === 'tool') out.write(lineOf(ask));
  const piece = (shape === 'image' ? 'iVBORw0KGgoAAAANSUhEUgAA' : 'x').repeat(MiB).slice(0, MiB);
  for (let n = 0; n < cfg.bigLines; n++) {
    out.write(BIG_LINE_START[shape](n));
    for (let k = 0; k < cfg.lineMiB; k++) if (!out.write(piece)) await once(out, 'drain');
    out.write(BIG_LINE_END[shape]);
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

/** One GET, the body counted and dropped; resolves with the status, the bytes and whether the body was complete. */
function fetchDiscard(port, path) {
  return new Promise((resolveGet) => {
    const req = request({ host: HOST, port, path, agent: false, timeout: 600_000 }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('close', () => resolveGet({ status: res.statusCode, bytes, complete: res.complete }));
      res.on('error', () => {});
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolveGet({ status: 0, bytes: 0, complete: false, error: err.message }));
    req.end();
  });
}

/** Runs the scenario against `cli` (dist/cli.js); returns the row. */
export async function runHeavyReads({ cli, quick, shape = 'tool', say = () => {} }) {
  const cfg = { ...heavyConfig(quick), shape };
  const home = await buildHome(cfg, shape);
  const port = await freePort();
  const args = [cli, '--codex-home', home, '--host', HOST, '--port', String(port), '--no-index', '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; ; i++) {
      if ((await fetchDiscard(port, '/healthz')).status === 200) break;
      if (i > 500) throw new Error('the service did not start');
      await sleep(20);
    }
    const before = await memoryOf(child.pid);
    const sampler = sampleRss(child.pid);
    const paths = [
      ...Array.from({ length: cfg.jsonGets }, () => `/conversations/${BIG_ID}`),
      ...Array.from({ length: cfg.listPages }, () => '/conversations?limit=5&head=100&tail=100'),
    ];
    const lines = `${cfg.bigLines} ${shape} lines of ${cfg.lineMiB} MiB`;
    say(`heavy reads: ${cfg.jsonGets} JSON GETs + ${cfg.listPages} list pages at once, ${lines}`);
    const t0 = performance.now();
    const results = await Promise.all(paths.map((p) => fetchDiscard(port, p)));
    const seconds = (performance.now() - t0) / 1000;
    const peakRss = await sampler.stop();
    const statuses = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const incomplete = results.filter((r) => r.status === 200 && !r.complete).length;
    const errors = {};
    results.forEach((r, i) => {
      if (r.error !== undefined) errors[`${paths[i]}: ${r.error}`] = (errors[`${paths[i]}: ${r.error}`] ?? 0) + 1;
    });
    const bytes = results.reduce((n, r) => n + r.bytes, 0);
    return {
      requests: results.length,
      statuses,
      incomplete,
      errors,
      seconds: Math.round(seconds * 10) / 10,
      mbSent: Math.round(bytes / MiB),
      peakRssMb: Math.round((peakRss ?? 0) * 10) / 10,
      rssBeforeMb: Math.round((before?.rssMb ?? 0) * 10) / 10,
      config: cfg,
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), sleep(5_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, shape: { type: 'string', default: 'tool' }, 'codex-cli': { type: 'string' } },
  });
  if (!(values.shape in BIG_LINE_START)) throw new Error(`--shape must be one of ${Object.keys(BIG_LINE_START).join(', ')}`);
  const cli = resolve(values['codex-cli'] ?? join(HERE, '..', 'dist', 'cli.js'));
  const row = await runHeavyReads({ cli, quick: values.quick, shape: values.shape, say: (m) => process.stderr.write(`[heavy] ${m}\n`) });
  process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
  const ok = row.statuses[200] === row.requests && row.incomplete === 0;
  const verdict = ok ? 'all 200 and complete' : 'FAILED requests';
  process.stdout.write(`peak RSS ${row.peakRssMb} MB (target ≤ ${HEAVY_TARGET_RSS_MB}), ${verdict}\n`);
  process.exit(ok ? 0 : 1);
}

