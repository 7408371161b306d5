#!/usr/bin/env node
// The benchmark of issue 4 / SPEC §4: every figure against the production build (dist/cli.js)
// on 127.0.0.1, loaded with autocannon, and the target ratios computed inside the same run.
//
//   npm run build && node bench/run.mjs            full run: 1,000 and 100,000 sessions, 200 MB session
//   npm run build && node bench/run.mjs --quick    CI smoke run: 200 and 1,000 sessions, 5 MB session, ~1 s loads
//
// Options: --seed N, --duration S, --connections N, --out FILE, --codex-cli PATH (default dist/cli.js).
// Exit status: 0 when every run worked, whether targets pass or miss (misses are reported);
// 1 when something broke (a server did not start, a request failed or answered non-2xx).

import { spawn, execFileSync } from 'node:child_process';
import { chmod, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { cacheRoot, ensureTree } from './generate-tree.mjs';
import { memoryOf, sampleRss } from './process-memory.mjs';
import { HEAVY_TARGET_RSS_MB, runHeavyReads } from './heavy-reads.mjs';
import { EXPORT_TARGETS, runExport } from './export.mjs';
import { CCUSAGE_VERSION, ccusageDaily, ccusageEntry } from './ccusage.mjs';
import { CODEX_VERSION, codexBinary, startCodex } from './codex-search.mjs';
import { dashboardFirstRow } from './dashboard.mjs';
import { appendLatency, manyFollowers } from './live.mjs';
import { claudeArgs, ensureMixedTree, indexFilesOf } from './mixed.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    out: { type: 'string' },
    // One row alone (its own results file unless --out): `export` (row 11), `startup` (row 6b),
    // `firstpage` (row 1t: first pages with their total; --baseline-cli: against another build, interleaved),
    // `build` (the index build and row 1b, with row 1's steady pages) or `1b` (row 1b, the build stopped after it).
    only: { type: 'string' },
    'baseline-cli': { type: 'string' },
    'index-dir': { type: 'string' },
    // Interleaved runs of row 6b (default 7; 3 in --quick).
    'startup-runs': { type: 'string' },
    // The large tree's sessions (default 100,000; 1,000 in --quick): e.g. `--only build` on 10,000 on a loaded machine.
    'large-sessions': { type: 'string' },
    'codex-cli': { type: 'string', default: join(ROOT, 'dist', 'cli.js') },
    // Every tree half Codex, half Claude Code, served together (bench/mixed.mjs).
    mixed: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (argv.help) {
  process.stdout.write(
    'usage: node bench/run.mjs [--quick] [--seed N] [--duration S] [--connections N] [--out FILE]\n' +
      '                          [--only export|startup|firstpage|build|1b] [--startup-runs N]\n' +
      '                          [--baseline-cli DIST/cli.js] [--index-dir DIR] [--mixed] [--large-sessions N]\n',
  );
  process.exit(0);
}

const QUICK = argv.quick;
const CFG = {
  mode: QUICK ? 'quick' : 'full',
  seed: Number(argv.seed),
  smallSessions: QUICK ? 200 : 1_000,
  largeSessions: Number(argv['large-sessions'] ?? (QUICK ? 1_000 : 100_000)),
  bigMb: QUICK ? 5 : 200,
  duration: Number(argv.duration ?? (QUICK ? 1 : 5)), // seconds per measured load and round
  rounds: QUICK ? 1 : 2, // interleaved rounds per comparison (A B A B), samples pooled
  warmup: QUICK ? 0.5 : 2, // seconds of discarded load before each measured one
  connections: Number(argv.connections ?? 4),
  streamConnections: 2, // the NDJSON runs: each response is the whole big file
  coldRuns: QUICK ? 1 : 3,
  startupRuns: Number(argv['startup-runs'] ?? (QUICK ? 3 : 7)),
  // The peers' comparisons (Codex's thread/search) run on a mid-sized tree, and in the full run only.
  peerSessions: 10_000,
  peerRequests: 30,
  lookupIds: QUICK ? 20 : 100,
  dashboardRuns: QUICK ? 3 : 5,
};
const ONLY = argv.only ?? null;
const ONLY_ROWS = ['export', 'startup', 'firstpage', 'build', '1b'];
if (ONLY !== null && !ONLY_ROWS.includes(ONLY)) {
  process.stdout.write(`--only takes: ${ONLY_ROWS.join(', ')}, got "${ONLY}"\n`);
  process.exit(2);
}
const MIXED = argv.mixed;
const OUT_NAME = `results${MIXED ? '-mixed' : ''}${ONLY === null ? '' : `-${ONLY}`}${QUICK ? '-quick' : ''}.json`;
const OUT = resolve(argv.out ?? join(HERE, OUT_NAME));
const makeTree = MIXED ? ensureMixedTree : ensureTree;
const CLI = resolve(argv['codex-cli']);
const HOST = '127.0.0.1';

const TARGETS = {
  firstPageRatio: 1.3,
  /** SPEC §4: the first page while the index builds is at most 3x the small tree's steady first page. */
  firstPageBuildRatio: 3,
  throughputRatio: 0.5,
  head0Ratio: 0.25,
  revalidateRatio: 0.5,
  appendLatencyMs: 250,
  followersLost: 0,
  ndjsonRatio: 0.7,
  ndjsonRssMb: 150,
  lookupRatio: 2,
  filterP50Ms: 50,
  coldStartMs: 1000,
  dashboardFirstRowMs: 1000,
  startupRatio: 1.5,
  indexBuildS: 300,
  indexBuildRssMb: 300,
  codexSearchRatio: 0.1,
  usageDayP50Ms: 100,
  ccusageRatio: 0.01,
};

const broken = []; // what actually failed: makes the exit status non-zero
const children = new Set();

function say(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ---------------------------------------------------------------- processes

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** One plain GET on 127.0.0.1 (new connection each time); resolves with status, headers and body text. */
function get(port, path, { timeoutMs = 30_000, discardBody = false, headers = {} } = {}) {
  return new Promise((resolveGet, reject) => {
    const req = httpRequest({ host: HOST, port, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        if (!discardBody) chunks.push(c);
      });
      res.on('end', () =>
        resolveGet({ status: res.statusCode, headers: res.headers, bytes, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Spawns a server and waits until `readyPath` answers 200. The child's stderr is kept (last
 * 8 KB) for the error message when it dies or never gets ready.
 */
async function startServer(name, command, args, port, readyPath, { timeoutMs = 60_000 } = {}) {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8192)));
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
  });
  const server = {
    name,
    startedAt: started,
    port,
    pid: child.pid,
    child,
    stderr: () => stderr,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const t = Date.now();
      while (!exited && Date.now() - t < 5_000) await sleep(20);
      if (!exited) child.kill('SIGKILL');
      while (!exited) await sleep(10);
    },
  };
  while (true) {
    if (exited) throw new Error(`${name} exited before it was ready (${JSON.stringify(exited)}): ${stderr.trim()}`);
    try {
      const res = await get(port, readyPath, { timeoutMs: 5_000 });
      server.firstResponseMs ??= performance.now() - started;
      if (res.status === 200) {
        server.readyMs = performance.now() - started;
        return server;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() - started > timeoutMs) {
      await server.stop();
      throw new Error(`${name} not ready after ${timeoutMs} ms: ${stderr.trim()}`);
    }
    await sleep(10);
  }
}

/** Index files live in one temp directory per run: every run builds its indexes from scratch. */
// `--mixed --index-dir DIR`: the indexes built there before are reused and kept (a loaded machine takes an hour to build one).
const KEEP_INDEX = MIXED && argv['index-dir'] !== undefined;
const INDEX_DIR = KEEP_INDEX ? resolve(argv['index-dir']) : await mkdtemp(join(os.tmpdir(), 'codex-bench-index-'));
const indexPathFor = (tree) => join(INDEX_DIR, `${basename(tree)}.sqlite`);

async function startService(codexHome, name, readyPath = '/readyz', extraArgs = []) {
  const port = await freePort();
  const args = [
    CLI, '--codex-home', codexHome, '--host', HOST, '--port', String(port),
    '--log-level', 'warn', '--index-path', indexPathFor(codexHome), ...claudeArgs(codexHome), ...extraArgs,
  ];
  return startServer(name, process.execPath, args, port, readyPath);
}

/** Polls /readyz until the service's metadata index is complete; returns the ms since the service started. */
async function waitForIndex(svc, timeoutMs = 15 * 60_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const res = await get(svc.port, '/readyz');
    const index = res.status === 200 ? JSON.parse(res.body).index : null;
    // A reused index (--mixed --index-dir) is complete at once; its check of every file must not run during the loads.
    if (index?.complete && (!KEEP_INDEX || index.lastPassMs != null)) return performance.now() - svc.startedAt;
    await sleep(100);
  }
  throw new Error(`${svc.name}: index not complete after ${timeoutMs} ms`);
}

async function fileSizeMb(path, home) {
  let bytes = 0;
  for (const file of indexFilesOf(path, home)) {
    for (const suffix of ['', '-wal', '-shm']) bytes += (await stat(file + suffix).catch(() => ({ size: 0 }))).size;
  }
  return bytes / 2 ** 20;
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** nginx when installed (one process, sendfile), else bench/static-server.mjs. */
async function startStaticServer(file) {
  const port = await freePort();
  const nginx = which('nginx');
  if (nginx) {
    const prefix = await mkdtemp(join(os.tmpdir(), 'codex-bench-nginx-'));
    const conf = join(prefix, 'nginx.conf');
    await writeFile(
      conf,
      `daemon off;\nmaster_process off;\nworker_processes 1;\npid ${prefix}/nginx.pid;\nerror_log stderr warn;\n` +
        `events { worker_connections 256; }\nhttp {\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n` +
        `  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;\n` +
        `  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;\n` +
        `  server {\n    listen ${HOST}:${port};\n    location / { alias ${file}; default_type application/x-ndjson; }\n  }\n}\n`,
    );
    try {
      const server = await startServer('nginx', nginx, ['-p', prefix, '-c', conf, '-e', 'stderr'], port, '/');
      server.kind = `nginx (${nginx}, sendfile on, 1 process)`;
      const stop = server.stop;
      server.stop = async () => {
        await stop();
        await rm(prefix, { recursive: true, force: true });
      };
      return server;
    } catch (err) {
      say(`nginx failed to start (${err.message.split('\n')[0]}); falling back to the Node static server`);
      await rm(prefix, { recursive: true, force: true });
    }
  }
  const staticArgs = [join(HERE, 'static-server.mjs'), '--port', String(port), '--file', file];
  const server = await startServer('static', process.execPath, staticArgs, port, '/');
  server.kind = 'node:http + fs.createReadStream (bench/static-server.mjs; nginx not installed)';
  return server;
}

// ---------------------------------------------------------------- load

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * One autocannon load on `paths` (rotated over the connections' requests). Latencies come from
 * autocannon's per-response event, in fractional milliseconds (its own histogram keeps whole ms).
 * Returns raw samples: `summarize` turns one or more of them into a table row.
 */
async function measure(
  server,
  paths,
  { connections = CFG.connections, duration = CFG.duration, timeout = 30, headers = {}, okStatus = null } = {},
) {
  const list = Array.isArray(paths) ? paths : [paths];
  let next = 0;
  const instance = autocannon({
    url: `http://${HOST}:${server.port}`,
    connections,
    duration,
    timeout,
    requests: [{ method: 'GET', headers, setupRequest: (req) => ({ ...req, path: list[next++ % list.length] }) }],
  });
  const raw = {
    server: server.name,
    path: list[0],
    connections,
    latencies: [],
    bytes: 0,
    seconds: 0,
    statuses: {},
    non2xx: 0,
    errors: 0,
    timeouts: 0,
  };
  instance.on('response', (_client, status, resBytes, responseTime) => {
    raw.statuses[status] = (raw.statuses[status] ?? 0) + 1;
    if (okStatus === null ? status >= 200 && status < 300 : status === okStatus) {
      raw.latencies.push(responseTime);
      raw.bytes += resBytes;
    } else raw.non2xx += 1;
  });
  const t0 = performance.now();
  const result = await instance;
  raw.seconds = (performance.now() - t0) / 1000;
  raw.errors = result.errors;
  raw.timeouts = result.timeouts;
  return raw;
}

/** A discarded load, so that JIT, file-system caches and the service's own caches are warm. */
async function warm(server, paths, opts = {}) {
  if (CFG.warmup > 0) await measure(server, paths, { ...opts, duration: CFG.warmup });
}

const CURL = which('curl');
/**
 * Whole-file downloads for the NDJSON comparison. autocannon parses bodies in JavaScript
 * (http-parser-js) and tops out far below what either server can send (~75 MB/s vs ~300+ MB/s
 * on the reference machine), so it would measure itself; curl (or node:http when curl is
 * missing) is the client here. `connections` workers each download the file back to back until
 * `duration` has passed; a download started before the deadline is finished and counted.
 */
async function measureStream(server, path, { connections = CFG.streamConnections, duration = CFG.duration } = {}) {
  const url = `http://${HOST}:${server.port}${path}`;
  const raw = {
    server: server.name,
    path,
    connections,
    latencies: [],
    bytes: 0,
    seconds: 0,
    statuses: {},
    non2xx: 0,
    errors: 0,
    timeouts: 0,
  };
  const one = () =>
    CURL
      ? new Promise((resolveOne) => {
          const c = spawn(
            CURL,
            ['-s', '-o', '/dev/null', '--max-time', '300', '-w', '%{http_code} %{size_download} %{time_total}', url],
            { stdio: ['ignore', 'pipe', 'ignore'] },
          );
          let out = '';
          c.stdout.on('data', (d) => (out += d));
          c.on('close', (code) => {
            const [status, size, total] = out.trim().split(' ').map(Number);
            resolveOne(code === 0 ? { status, bytes: size, ms: total * 1000 } : { error: true });
          });
        })
      : new Promise((resolveOne) => {
          const t = performance.now();
          get(server.port, path, { discardBody: true, timeoutMs: 300_000 }).then(
            (res) => resolveOne({ status: res.status, bytes: res.bytes, ms: performance.now() - t }),
            () => resolveOne({ error: true }),
          );
        });
  const t0 = performance.now();
  const deadline = t0 + duration * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const r = await one();
      if (r.error) {
        raw.errors += 1;
        return;
      }
      raw.statuses[r.status] = (raw.statuses[r.status] ?? 0) + 1;
      if (r.status >= 200 && r.status < 300) {
        raw.latencies.push(r.ms);
        raw.bytes += r.bytes;
      } else raw.non2xx += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  raw.seconds = (performance.now() - t0) / 1000;
  return raw;
}
const STREAM_CLIENT = CURL
  ? `curl (${CURL}), ${CFG.streamConnections} parallel downloads`
  : `node:http, ${CFG.streamConnections} parallel downloads`;

/** One table row from the pooled samples of one or more interleaved rounds. */
function summarize(raws) {
  const latencies = raws.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = raws.reduce((n, r) => n + r.seconds, 0);
  const bytes = raws.reduce((n, r) => n + r.bytes, 0);
  const sum = (k) => raws.reduce((n, r) => n + r[k], 0);
  const statuses = {};
  for (const r of raws) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const out = {
    requests: latencies.length,
    seconds: round(seconds, 2),
    rounds: raws.length,
    p50Ms: round(percentile(latencies, 0.5), 2),
    p99Ms: round(percentile(latencies, 0.99), 2),
    rps: round(latencies.length / seconds, 1),
    mbPerSec: round(bytes / seconds / 2 ** 20, 1),
    bytesPerResponse: latencies.length ? Math.round(bytes / latencies.length) : null,
    connections: raws[0].connections,
    statuses,
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    ...(raws.every((r) => r.cpuMs !== undefined) ? { cpuMsPerRequest: round(sum('cpuMs') / latencies.length, 2) } : {}),
  };
  if (out.non2xx > 0 || out.errors > 0 || latencies.length === 0) {
    broken.push(
      `${raws[0].server} ${raws[0].path}: ${latencies.length} 2xx, ${out.non2xx} non-2xx ${JSON.stringify(statuses)}, ` +
        `${out.errors} errors, ${out.timeouts} timeouts`,
    );
  }
  return out;
}

/**
 * Runs the loads of `runs` ([server, paths, opts, measureFn]) interleaved, `CFG.rounds` times
 * (A B C A B C ...), so that a noisy neighbour hits every side of a ratio alike; each side's
 * samples are pooled. Every side is warmed up first. A side with `cpu: true` in its options gets
 * the server's CPU time (user + system, every thread, /proc) per request answered over its loads:
 * under load, a figure the machine's other processes change less than the latencies.
 */
async function interleaved(runs) {
  for (const [server, paths, opts = {}, fn = measure] of runs) {
    if (fn === measure) await warm(server, paths, opts);
    else await fn(server, paths, { ...opts, duration: CFG.warmup });
  }
  const raws = runs.map(() => []);
  for (let round = 0; round < CFG.rounds; round++) {
    for (const [i, [server, paths, opts = {}, fn = measure]] of runs.entries()) {
      const before = opts.cpu ? await cpuMsOf(server.pid) : null;
      const raw = await fn(server, paths, opts);
      if (before !== null) raw.cpuMs = (await cpuMsOf(server.pid)) - before;
      raws[i].push(raw);
    }
  }
  return raws.map(summarize);
}

function round(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Fails the run unless `path` answers 2xx (one request, so that a broken route is reported plainly). */
async function expectOk(server, path) {
  const res = await get(server.port, path, { discardBody: false });
  if (res.status < 200 || res.status >= 300) {
    broken.push(`${server.name} GET ${path} -> ${res.status} ${res.body.slice(0, 300)}`);
    return null;
  }
  return res;
}

// ---------------------------------------------------------------- the runs

const rows = [];
const targets = [];

function row(id, label, fields) {
  const r = { id, label, ...fields };
  rows.push(r);
  const stats = `p50 ${fields.p50Ms ?? '-'} ms, p99 ${fields.p99Ms ?? '-'} ms, ${fields.rps ?? '-'} req/s, ${fields.mbPerSec ?? '-'} MB/s`;
  say(`${label}: ${fields.na ? fields.na : stats}`);
  return r;
}

/** One request to a service, timed, with the process's peak RSS after it: an information row. `bytesOf(res)` is the volume for MB/s. */
async function oneRequestRow(svc, path, id, label, bytesOf) {
  const t0 = performance.now();
  const res = await get(svc.port, path, { discardBody: true, timeoutMs: 300_000 });
  const seconds = (performance.now() - t0) / 1000;
  const mem = await memoryOf(svc.pid);
  if (res.status !== 200) broken.push(`${svc.name} GET ${path} -> ${res.status}`);
  return row(id, label, {
    requests: 1,
    p50Ms: round(seconds * 1000, 0),
    mbPerSec: round(bytesOf(res) / seconds / 2 ** 20, 1),
    peakRssMb: round(mem?.hwmMb, 1),
  });
}

function target(id, label, measured, limit, kind, detail, { info = false } = {}) {
  let result;
  if (measured === null || measured === undefined) result = 'n/a';
  else result = (kind === 'max' ? measured <= limit : measured >= limit) ? 'pass' : 'miss';
  if (info && result !== 'n/a') result = `info (${result})`;
  targets.push({ id, label, measured: measured === null ? null : round(measured, 3), limit, kind, result, detail });
}

const FIRST_PAGE = '/conversations?limit=25&head=10';
/** A phrase found in a few sessions (a title number: "(#4242)" and the titles (#42420)...(#42429)), and one in every session. */
const SEARCHES = [
  ['rare', '(#4242', 30],
  ['common', 'Mock reply', 100],
];

const NO_CACHE = ['--response-cache-mb', '0'];

/** GET /usage reports of row U2: [name, path, p50 target in ms or null (information)]. */
const USAGE_REPORTS = [
  ['day', '/usage?groupBy=day', 100],
  ['day (America/New_York)', '/usage?groupBy=day&tz=America%2FNew_York', null],
  ['cwd', '/usage?groupBy=cwd', null],
];

/** The page's ETag once it is the watched tree's version (W/"<process>-<version>-<query>"), not one derived from a build. */
async function versionEtag(svc, path, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const etag = (await get(svc.port, path, { discardBody: true })).headers.etag;
    if (typeof etag === 'string' && !etag.startsWith('W/"c-')) return etag;
    await sleep(100);
  }
  throw new Error(`${svc.name}: ${path} has no tree-version ETag after ${timeoutMs} ms`);
}

/** The bytes of one response to `path` as identity, gzip and br. */
async function compressedSizes(svc, path) {
  const sizes = {};
  for (const encoding of ['identity', 'gzip', 'br']) {
    const res = await get(svc.port, path, { headers: { 'accept-encoding': encoding } });
    const used = res.headers['content-encoding'] ?? 'identity';
    if (res.status !== 200 || used !== encoding) broken.push(`${svc.name} GET ${path} (${encoding}) -> ${res.status}, ${used}`);
    sizes[encoding] = res.bytes;
  }
  return { sizes };
}

/** Row 11: exporting the big session as Markdown, redacted and not (bench/export.mjs). */
async function exportRows() {
  const result = await runExport({ cli: CLI, quick: QUICK, seed: CFG.seed, say });
  const mb = result.sessionMb;
  row('export.plain', `11. export of a ${mb} MiB session as Markdown, redact=false`, result.plain);
  row('export.redacted', `11. export of a ${mb} MiB session as Markdown, redacted (the default)`, result.redacted);
  target('exportRedactedRatio', '11. redacted export time / unredacted', result.ratio, EXPORT_TARGETS.redactedRatio, 'max',
    `fastest of the rounds each, fresh service over a built index; ${result.redacted.redactions} redactions`);
  target('exportRss', '11. service peak RSS (MB) while exporting, redacted', result.redacted.peakRssMb, EXPORT_TARGETS.peakRssMb, 'max',
    `VmHWM; unredacted ${result.plain.peakRssMb} MB; ${result.redacted.outputMb} MiB of Markdown`);
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux only; null elsewhere). */
async function cpuMsOf(pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(which('getconf') ? execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }) : 100);

/**
 * Row 1t (`--only firstpage`): first pages on the large tree with its index complete, one
 * connection, where the service counts `total`: the bench's page, the dashboard's
 * (`limit=50&head=0`) and the dashboard's filtered by project and by title. With `--baseline-cli`
 * (a build from before `total`, same index schema), both services run side by side over copies of
 * one index and their loads are interleaved; each side's p50 and its CPU time per request (the
 * process's, from /proc, over the measured loads). `--index-dir` keeps the built index for the
 * next run (on a busy machine a 100,000-session build takes many minutes); each service's
 * verification pass of a reused index is waited for, so that it does not run during the loads.
 */
async function firstPageTotalRows(large) {
  const sides = [['now', CLI]];
  if (argv['baseline-cli'] !== undefined) sides.push(['baseline', resolve(argv['baseline-cli'])]);
  const dir = argv['index-dir'] === undefined ? INDEX_DIR : resolve(argv['index-dir']);
  const built = join(dir, `${basename(large.dir)}.sqlite`);
  const start = async (name, cli, indexPath) => {
    const port = await freePort();
    const args = [cli, '--codex-home', large.dir, '--host', HOST, '--port', String(port), '--log-level', 'warn',
      '--index-path', indexPath, ...claudeArgs(large.dir), ...NO_CACHE];
    return startServer(name, process.execPath, args, port, '/readyz');
  };
  if (!existsSync(built)) {
    const builder = await start('build', CLI, built);
    say(`index of ${large.manifest.sessions} sessions built in ${round((await waitForIndex(builder, 60 * 60_000)) / 1000, 1)} s`);
    await builder.stop();
  }
  const services = [];
  for (const [name, cli] of sides) {
    const copy = join(INDEX_DIR, `${name}.sqlite`);
    await cp(built, copy);
    services.push(await start(name, cli, copy));
  }
  const verified = async (svc) => {
    await waitForIndex(svc);
    while (JSON.parse((await get(svc.port, '/readyz')).body).index?.lastPassMs == null) await sleep(500);
  };
  try {
    for (const svc of services) await verified(svc);
    say(`both indexes complete and verified ${round((performance.now() - services[0].startedAt) / 1000, 1)} s after start`);
    const n = large.manifest.sessions.toLocaleString('en');
    const dashboard = '/conversations?limit=50&head=0&total=true';
    const pages = [
      ['bench', `${FIRST_PAGE}&total=true`],
      ['dashboard', dashboard],
      ['cwd', `${dashboard}&cwd=${encodeURIComponent('/home/dev/api-server')}`],
      ['q', `${dashboard}&q=${encodeURIComponent('(#42')}`],
    ];
    for (const [key, path] of pages) {
      const raws = services.map(() => []);
      const cpu = services.map(() => 0);
      for (const svc of services) await warm(svc, path, { connections: 1 });
      for (let r = 0; r < CFG.rounds; r++) {
        for (const [i, svc] of services.entries()) {
          const before = await cpuMsOf(svc.pid);
          raws[i].push(await measure(svc, path, { connections: 1 }));
          cpu[i] += (await cpuMsOf(svc.pid)) - before;
        }
      }
      for (const [i, svc] of services.entries()) {
        const total = JSON.parse((await get(svc.port, path)).body).total ?? null;
        const s = summarize(raws[i]);
        row(`firstPage.total.${key}.${svc.name}`, `1t. ${path} on ${n} sessions, ${svc.name} (total ${total ?? 'absent'})`, {
          ...s,
          total,
          cpuMsPerRequest: round(cpu[i] / s.requests, 3),
        });
        say(`  CPU ${round(cpu[i] / s.requests, 3)} ms per request`);
      }
    }
  } finally {
    for (const svc of services) await svc.stop();
  }
}

/** Row 6b: start-up to listening, the service (on the large tree, a new index each run) vs a bare Fastify hello-world, interleaved. */
async function startupRow(large) {
  const starts = { service: [], hello: [] };
  for (let i = 0; i < CFG.startupRuns; i++) {
    for (const kind of ['service', 'hello']) {
      const port = await freePort();
      const args = kind === 'service'
        ? [CLI, '--codex-home', large.dir, '--host', HOST, '--port', String(port), '--log-level', 'warn',
          '--index-path', join(INDEX_DIR, `startup-${i}.sqlite`), ...claudeArgs(large.dir)]
        : [join(HERE, 'hello-server.mjs'), '--port', String(port)];
      const svc = await startServer(`${kind} (start-up)`, process.execPath, args, port, kind === 'service' ? '/healthz' : '/');
      starts[kind].push(svc.firstResponseMs);
      await svc.stop();
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const startSvc = median(starts.service);
  const startHello = median(starts.hello);
  row('startup', `6b. start-up to listening, service vs hello-world (median of ${CFG.startupRuns})`, {
    serviceMs: round(startSvc, 0),
    helloMs: round(startHello, 0),
    runs: { service: starts.service.map((x) => round(x, 0)), hello: starts.hello.map((x) => round(x, 0)) },
  });
  target('startupRatio', '6b. start-up to listening / hello-world', startSvc / startHello, TARGETS.startupRatio, 'max',
    `${round(startSvc, 0)} / ${round(startHello, 0)} ms, spawn until the first HTTP response, runs interleaved`);
}

/**
 * Row 1b: the first page of the large tree while its index builds (the small one's is done by
 * then: 1,000 sessions take seconds); compared with row 1's steady small page later. The files
 * the build checked meanwhile say how far the loads held it back.
 */
async function buildingFirstPageRow(svcLarge, nLarge) {
  const checked = async () => JSON.parse((await get(svcLarge.port, '/readyz')).body).index?.filesCheckedThisPass ?? null;
  const checkedBefore = await checked();
  const startedMs = performance.now();
  const [fpB] = await interleaved([[svcLarge, FIRST_PAGE, { cpu: true }]]);
  const seconds = (performance.now() - startedMs) / 1000;
  const checkedAfter = await checked();
  const stillBuilding = JSON.parse((await get(svcLarge.port, '/readyz')).body).index?.complete !== true;
  return row('firstPage.large.building', `1b. first page during the index build, ${nLarge} sessions`, {
    ...fpB,
    buildStillRunning: stillBuilding,
    buildFilesPerSecond: checkedBefore === null || checkedAfter === null ? null : round((checkedAfter - checkedBefore) / seconds, 0),
  });
}

/**
 * Index build (metadata, search, usage): from process start to a complete index, the service's
 * peak RSS and CPU time meanwhile, and its size on disk. Rows 1, 2 and 4 run after it: they
 * measure the steady state, not a service busy reading 5 GiB for its index.
 */
async function indexBuildRows(svcLarge, large, indexBuild) {
  const nLarge = large.manifest.sessions.toLocaleString('en');
  const [, buildMs] = await indexBuild;
  const cpuMs = await cpuMsOf(svcLarge.pid);
  const buildHwm = (await memoryOf(svcLarge.pid))?.hwmMb ?? null;
  const indexMb = round(await fileSizeMb(indexPathFor(large.dir), large.dir), 1);
  const treeMb = round(large.manifest.totalBytes / 2 ** 20, 0);
  row('index.build', `index build, ${nLarge} sessions (from process start)`, {
    buildMs: round(buildMs, 0),
    cpuMs: round(cpuMs, 0),
    peakRssMb: round(buildHwm, 1),
    sizeMb: indexMb,
    treeMb,
  });
  say(`index of ${nLarge} sessions complete ${round(buildMs / 1000, 1)} s after start (CPU ${round(cpuMs / 1000, 1)} s), ` +
    `${indexMb} MiB (tree ${treeMb} MiB)`);
  target('indexBuildMs', `index build, ${nLarge} sessions (s)`, buildMs / 1000, TARGETS.indexBuildS, 'max',
    `index ${indexMb} MiB for a ${treeMb} MiB tree ` +
      `(${round((100 * indexMb) / treeMb, 1)} %)`);
  target('indexBuildRss', 'peak RSS of the service during the build (MB)', buildHwm, TARGETS.indexBuildRssMb, 'max',
    'VmHWM of the process from its start until the index was complete');
}

/** Rows 1 and 1b's targets, from the steady first pages of both trees and row 1b; returns row 1's large row. */
function firstPageTargets(fpS, fpL, fpBuilding, nSmall, nLarge) {
  const fpSmall = row('firstPage.small', `1. first page, ${nSmall} sessions`, fpS);
  const fpLarge = fpL && row('firstPage.large', `1. first page, ${nLarge} sessions`, fpL);
  if (fpLarge) {
    target('firstPageRatio', `1. first page p50, ${nLarge} / ${nSmall}`, fpLarge.p50Ms / fpSmall.p50Ms, TARGETS.firstPageRatio, 'max',
      `${fpLarge.p50Ms} / ${fpSmall.p50Ms} ms`);
  }
  target('firstPageBuildRatio', `1b. first page p50 during the build (${nLarge}) / steady (${nSmall})`,
    fpBuilding.p50Ms / fpSmall.p50Ms, TARGETS.firstPageBuildRatio, 'max',
    `${fpBuilding.p50Ms} / ${fpSmall.p50Ms} ms; the build was ` +
      (fpBuilding.buildStillRunning ? 'still running at the end' : 'over before the end (the row is not a build figure)'));
  // Information: the service's CPU per request, the building one's including the build's share.
  // On a quiet machine a saturated service's latency follows it; under load it moves less than the latencies.
  target('firstPageBuildCpuRatio', `1b. service CPU per first page during the build (${nLarge}) / steady (${nSmall})`,
    (fpBuilding.cpuMsPerRequest ?? NaN) / (fpSmall.cpuMsPerRequest ?? NaN) || null, TARGETS.firstPageBuildRatio, 'max',
    `${fpBuilding.cpuMsPerRequest} / ${fpSmall.cpuMsPerRequest} ms`, { info: true });
  return fpLarge;
}

/**
 * `--only build`: the index build and row 1b as in the full run (both services started together,
 * row 1b at once, rows 1's steady pages once the large index is complete). `--only 1b`: the large
 * service is stopped after row 1b, and the small tree's steady page measured alone.
 */
async function buildRowsAlone(small, large, waitForBuild) {
  const nSmall = small.manifest.sessions.toLocaleString('en');
  const nLarge = large.manifest.sessions.toLocaleString('en');
  const svcSmall = await startService(small.dir, `service(${nSmall})`, '/readyz', NO_CACHE);
  const svcLarge = await startService(large.dir, `service(${nLarge})`, '/readyz', NO_CACHE);
  const indexBuild = Promise.all([waitForIndex(svcSmall), waitForIndex(svcLarge)]);
  indexBuild.catch(() => {}); // awaited below, or not at all (--only 1b)
  try {
    for (const svc of [svcSmall, svcLarge]) await expectOk(svc, FIRST_PAGE);
    const fpBuilding = await buildingFirstPageRow(svcLarge, nLarge);
    if (waitForBuild) await indexBuildRows(svcLarge, large, indexBuild);
    else {
      await svcLarge.stop();
      await waitForIndex(svcSmall);
    }
    const runs = [[svcSmall, FIRST_PAGE, { cpu: true }]];
    if (waitForBuild) runs.push([svcLarge, FIRST_PAGE]);
    const [fpS, fpL] = await interleaved(runs);
    firstPageTargets(fpS, fpL, fpBuilding, nSmall, nLarge);
  } finally {
    await svcSmall.stop();
    await svcLarge.stop();
  }
}

async function main() {
  if (!existsSync(CLI)) {
    say(`${CLI} not found: build first (npm run build)`);
    process.exit(1);
  }
  const started = Date.now();
  if (ONLY !== null) {
    const large = () => makeTree({ seed: CFG.seed, sessions: CFG.largeSessions, bigMb: CFG.bigMb });
    if (ONLY === 'export') await exportRows();
    else if (ONLY === 'firstpage') await firstPageTotalRows(await large());
    else if (ONLY === 'build' || ONLY === '1b') {
      const small = await makeTree({ seed: CFG.seed, sessions: CFG.smallSessions, bigMb: CFG.bigMb });
      await buildRowsAlone(small, await large(), ONLY === 'build');
    }
    else await startupRow(await large());
    const report = { mode: CFG.mode, only: ONLY, date: new Date().toISOString(), node: process.version, rows, targets, broken,
      wallSeconds: round((Date.now() - started) / 1000, 1) };
    await writeFile(OUT, `${JSON.stringify(report, null, 2)}\n`);
    for (const t of targets) say(`${t.label}: ${t.measured} (limit ${t.limit}, ${t.result}; ${t.detail})`);
    say(`results written to ${OUT} (${report.wallSeconds} s)`);
    return;
  }
  say(
    `${CFG.mode} run: trees of ${CFG.smallSessions} and ${CFG.largeSessions} sessions, ` +
      `big session ${CFG.bigMb} MB, ${CFG.duration} s loads`,
  );
  const small = await makeTree({ seed: CFG.seed, sessions: CFG.smallSessions, bigMb: CFG.bigMb });
  const large = await makeTree({ seed: CFG.seed, sessions: CFG.largeSessions, bigMb: CFG.bigMb });
  for (const t of [small, large]) {
    say(
      `tree ${t.dir}: ${t.cached ? 'cached' : 'generated'}, ${t.manifest.sessions} sessions, ` +
        `${(t.manifest.totalBytes / 2 ** 30).toFixed(2)} GiB (generation ${(t.manifest.generationMs / 1000).toFixed(1)} s)`,
    );
  }
  const nSmall = small.manifest.sessions.toLocaleString('en');
  const nLarge = large.manifest.sessions.toLocaleString('en');

  // ---- 1, 2, 4, 5: one warm service per tree, and the hello-world baseline.
  // Without the cache of built bodies: these rows measure building pages, searches and reports
  // (a repeated request would otherwise be a memory copy). Rows 2b-2d measure the cache.
  const svcSmall = await startService(small.dir, `service(${nSmall})`, '/readyz', NO_CACHE);
  const svcLarge = await startService(large.dir, `service(${nLarge})`, '/readyz', NO_CACHE);
  // The index builds in the background; the first pages are answered meanwhile (by scanning).
  const indexBuild = Promise.all([waitForIndex(svcSmall), waitForIndex(svcLarge)]);
  const helloPort = await freePort();
  const helloArgs = [join(HERE, 'hello-server.mjs'), '--port', String(helloPort)];
  const helloServer = await startServer('hello', process.execPath, helloArgs, helloPort, '/');
  try {
    // A mixed home's first page before its index is complete reads every Claude file's head (no
    // key in the names): minutes on 100,000 sessions, past the requests' timeouts (docs/performance.md).
    if (MIXED) await indexBuild;
    for (const svc of [svcSmall, svcLarge]) {
      const res = await expectOk(svc, FIRST_PAGE);
      if (res) {
        const page = JSON.parse(res.body);
        if (page.items.length !== 25) broken.push(`${svc.name} first page has ${page.items.length} items, expected 25`);
      }
    }

    const fpBuilding = await buildingFirstPageRow(svcLarge, nLarge);
    await indexBuildRows(svcLarge, large, indexBuild);
    const [fpS, fpL, hwR] = await interleaved([
      [svcSmall, FIRST_PAGE, { cpu: true }],
      [svcLarge, FIRST_PAGE],
      [helloServer, '/'],
    ]);
    const fpLarge = firstPageTargets(fpS, fpL, fpBuilding, nSmall, nLarge);
    // Information only: the same first page with one connection, i.e. the latency of one request
    // on an otherwise idle service (the 4-connection rows queue requests behind each other).
    const [c1S, c1L] = await interleaved([[svcSmall, FIRST_PAGE, { connections: 1 }], [svcLarge, FIRST_PAGE, { connections: 1 }]]);
    row('firstPage.small.c1', `1c. first page, ${nSmall} sessions, 1 connection (info)`, c1S);
    row('firstPage.large.c1', `1c. first page, ${nLarge} sessions, 1 connection (info)`, c1L);
    const hw = row('hello', '2. bare Fastify hello-world', hwR);
    target('throughputRatio', `2. first page req/s (${nLarge}) / hello-world`, fpLarge.rps / hw.rps, TARGETS.throughputRatio, 'min',
      `${fpLarge.rps} / ${hw.rps} req/s; a first page is ${fpLarge.bytesPerResponse} bytes, hello-world ${hw.bytesPerResponse}`);

    // 4: lookups of normal-sized sessions (active and archived), rotated over a sample of ids.
    const lookupPaths = (t) => t.manifest.samples.slice(0, CFG.lookupIds).map((s) => `/conversations/${s.id}`);
    for (const [svc, t] of [[svcSmall, small], [svcLarge, large]]) await expectOk(svc, lookupPaths(t)[0]);
    const [lkS, lkL] = await interleaved([[svcSmall, lookupPaths(small)], [svcLarge, lookupPaths(large)]]);
    const lkSmall = row('lookup.small', `4. lookup by id (JSON), ${nSmall} sessions`, lkS);
    const lkLarge = row('lookup.large', `4. lookup by id (JSON), ${nLarge} sessions`, lkL);
    target('lookupRatio', `4. lookup p50, ${nLarge} / ${nSmall}`, lkLarge.p50Ms / lkSmall.p50Ms, TARGETS.lookupRatio, 'max',
      `${lkLarge.p50Ms} / ${lkSmall.p50Ms} ms over ${lookupPaths(large).length} ids`);

    // U2: usage of the whole home, summed in SQL from the complete index. Every request has a
    // query of its own (limit varies), so that none is answered from the cache of built bodies.
    for (const [name, path, limit] of USAGE_REPORTS) {
      const probe = await expectOk(svcLarge, path);
      const rows = probe ? JSON.parse(probe.body).rows.length : 0;
      let i = 0;
      const p50 = await sequentialP50(async () => {
        const uncached = `${path}&limit=${2000 + i++}`;
        const t = performance.now();
        const res = await get(svcLarge.port, uncached);
        if (res.status !== 200) broken.push(`${svcLarge.name} GET ${uncached} -> ${res.status}`);
        return performance.now() - t;
      }, CFG.peerRequests);
      const label = `U2. usage by ${name}, ${nLarge} sessions (uncached, one at a time)`;
      row(`usage.${name}`, label, { path, rowsInReport: rows, p50Ms: round(p50, 2) });
      if (limit === null) continue;
      target(`usage.${name}`, `U2. /usage?groupBy=${name} p50 (ms)`, p50, limit, 'max', `${rows} rows, ${CFG.peerRequests} requests`);
    }

    // 5s: search, first page, from the complete index: a phrase in a few sessions, one in every session.
    for (const [name, phrase, limit] of SEARCHES) {
      const path = `/search?q=${encodeURIComponent(phrase)}`;
      const probe = await expectOk(svcLarge, path);
      const hits = probe ? JSON.parse(probe.body).items.length : 0;
      const [res] = await interleaved([[svcLarge, path]]);
      const r = row(`search.${name}`, `5s. search "${phrase}" (${name}), first page, ${nLarge} sessions`, { path, items: hits, ...res });
      target(`search.${name}`, `5s. search, a phrase ${name === 'rare' ? 'in a few sessions' : 'in every session'} p50 (ms)`,
        r.p50Ms, limit, 'max', `${hits} items on the first page`);
    }

    // 5: sort=updated and filters, served from the complete index.
    const filters = [
      ['sort=updated', `${FIRST_PAGE}&sort=updated`],
      ['cwd filter', `${FIRST_PAGE}&cwd=${encodeURIComponent('/home/dev/notes')}`],
      ['q filter', `${FIRST_PAGE}&q=linter`],
      ['source=interactive (matches nothing)', `${FIRST_PAGE}&source=interactive`],
    ];
    for (const [name, path] of filters) {
      const probe = await get(svcLarge.port, path);
      let code = null;
      try {
        code = JSON.parse(probe.body).code;
      } catch {
        // not a JSON body: no code
      }
      const id = `filter.${name.split(' ')[0]}`;
      const label = `5. ${name}, ${nLarge} sessions`;
      if (probe.status === 400 && code === 'INVALID_QUERY') {
        row(id, label, { na: 'n/a (not implemented)', path });
        target(id, `5. ${name} p50 (ms)`, null, TARGETS.filterP50Ms, 'max', 'not implemented: 400 INVALID_QUERY');
        continue;
      }
      if (probe.status !== 200) {
        broken.push(`${svcLarge.name} GET ${path} -> ${probe.status} ${probe.body.slice(0, 300)}`);
        row(id, label, { na: `broken (${probe.status})`, path });
        continue;
      }
      const [res] = await interleaved([[svcLarge, path]]);
      const r = row(id, label, { path, ...res });
      target(id, `5. ${name} p50 (ms)`, r.p50Ms, TARGETS.filterP50Ms, 'max');
    }

    // 7: the dashboard in Chromium, navigation to the first visible list row (fresh cache each run).
    const dash = await dashboardFirstRow(`http://${HOST}:${svcLarge.port}/`, { runs: CFG.dashboardRuns });
    const dashLabel = `7. dashboard: navigation to the first visible row, ${nLarge} sessions (Chromium)`;
    if (dash.skipped) say(`${dashLabel}: ${dash.skipped}`);
    const dashRuns = dash.skipped ? null : dash.runs.map((t) => round(t, 0));
    row('dashboard.firstRow', dashLabel, dash.skipped ? { na: dash.skipped } : { p50Ms: round(dash.medianMs, 0), runs: dashRuns });
    target('dashboardFirstRow', '7. dashboard first visible row (ms)', dash.skipped ? null : dash.medianMs,
      TARGETS.dashboardFirstRowMs, 'max',
      dash.skipped ?? `median of ${dashRuns.length} first visits (empty cache): ${dashRuns.join(', ')} ms`);
  } finally {
    await Promise.all([svcSmall.stop(), svcLarge.stop(), helloServer.stop()]);
  }

  // ---- 2b-2d: what the cache of built bodies gives, on the default service over the index the
  // rows above completed. Against hello-world again, interleaved in this block.
  const svcCached = await startService(large.dir, `service(${nLarge}, cached)`);
  const helloAgain = await startServer('hello', process.execPath, helloArgs, helloPort, '/');
  try {
    await waitForIndex(svcCached);
    const HEADLESS = '/conversations?limit=25&head=0';
    // What a browser sends to revalidate the first page: its ETag, and fetch's Cache-Control: no-cache.
    const etag = await versionEtag(svcCached, FIRST_PAGE);
    const revalidate = { headers: { 'if-none-match': etag, 'cache-control': 'no-cache' }, okStatus: 304 };
    const [hwR, fp0, rv] = await interleaved([[helloAgain, '/'], [svcCached, HEADLESS], [svcCached, FIRST_PAGE, revalidate]]);
    const hw = row('hello.cached', '2. bare Fastify hello-world (beside 2b and 2c)', hwR);
    const fpHeadless = row('firstPage.head0', `2b. first page head=0, ${nLarge} sessions`, fp0);
    target('head0Ratio', `2b. first page head=0 req/s / hello-world`, fpHeadless.rps / hw.rps,
      TARGETS.head0Ratio, 'min', `${fpHeadless.rps} / ${hw.rps} req/s; ${fpHeadless.bytesPerResponse} bytes per page`);
    const revalidated = row('firstPage.304', `2c. first page revalidated (304), ${nLarge} sessions`, rv);
    target('revalidateRatio', `2c. 304 revalidation req/s / hello-world`, revalidated.rps / hw.rps, TARGETS.revalidateRatio, 'min',
      `${revalidated.rps} / ${hw.rps} req/s; If-None-Match ${etag} with Cache-Control: no-cache`);
    row('firstPage.compressed', `2d. compressed size of a default page, ${nLarge} sessions`, await compressedSizes(svcCached, FIRST_PAGE));
  } finally {
    await Promise.all([svcCached.stop(), helloAgain.stop()]);
  }

  // ---- 3: the big session as NDJSON vs a static file server, on a fresh service (clean VmHWM).
  const big = large.manifest.bigSession;
  const bigPath = join(large.dir, big.relPath);
  const bigMiB = (big.sizeBytes / 2 ** 20).toFixed(0);
  const staticServer = await startStaticServer(bigPath);
  const svcStream = await startService(large.dir, `service(${nLarge}, stream)`);
  const staticKind = staticServer.kind;
  try {
    const ndjsonPath = `/conversations/${big.id}?format=ndjson`;
    const head = await get(svcStream.port, ndjsonPath, { discardBody: true });
    if (head.status !== 200 || head.bytes !== big.sizeBytes) {
      broken.push(`${svcStream.name} GET ${ndjsonPath} -> ${head.status}, ${head.bytes} of ${big.sizeBytes} bytes`);
    }
    const memBefore = await memoryOf(svcStream.pid);
    const sampler = sampleRss(svcStream.pid);
    const [stR, svR] = await interleaved([[staticServer, '/big.jsonl', {}, measureStream], [svcStream, ndjsonPath, {}, measureStream]]);
    const hwm = await sampler.stop();
    const st = row('ndjson.static', `3. ${bigMiB} MiB file, static server`, stR);
    const sv = svR;
    row('ndjson.service', `3. ${bigMiB} MiB session, format=ndjson`, {
      ...sv,
      peakRssMb: round(hwm, 1),
      rssBeforeMb: round(memBefore?.rssMb, 1),
    });
    target('ndjsonRatio', '3. format=ndjson MB/s / static server', sv.mbPerSec / st.mbPerSec, TARGETS.ndjsonRatio, 'min',
      `${sv.mbPerSec} / ${st.mbPerSec} MB/s; baseline: ${staticKind}; client: ${STREAM_CLIENT}`);
    target('ndjsonRss', '3. service peak RSS (MB) while streaming', hwm, TARGETS.ndjsonRssMb, 'max',
      `VmHWM of a fresh service process (RSS ${round(memBefore?.rssMb, 1)} MB before the load)`);
  } finally {
    await Promise.all([staticServer.stop(), svcStream.stop()]);
  }

  // ---- 3b (information only): the big session's JSON form, one request, on a fresh service.
  const svcJson = await startService(large.dir, `service(${nLarge}, json)`);
  try {
    await oneRequestRow(svcJson, `/conversations/${big.id}`, 'json.big', `3b. ${bigMiB} MiB session, JSON form, 1 request (info)`,
      (res) => res.bytes);
  } finally {
    await svcJson.stop();
  }

  // ---- U1b (information only): the big session's usage, one request, on a fresh service (its peak
  // RSS); then U1: one session's usage (counted from its file) over the lookup sample.
  const svcUsage = await startService(large.dir, `service(${nLarge}, usage)`);
  try {
    // MB/s of the file read, not of the (small) response.
    await oneRequestRow(svcUsage, `/conversations/${big.id}/usage`, 'usage.big', `U1b. ${bigMiB} MiB session, usage, 1 request (info)`,
      () => big.sizeBytes);
    const usagePaths = large.manifest.samples.slice(0, CFG.lookupIds).map((s) => `/conversations/${s.id}/usage`);
    await expectOk(svcUsage, usagePaths[0]);
    const [usR] = await interleaved([[svcUsage, usagePaths]]);
    row('usage.session', `U1. usage of one session (read from its file), ${nLarge} sessions`, usR);
  } finally {
    await svcUsage.stop();
  }

  // ---- 6: cold start: spawn -> first page served (HTTP 200), on the large tree.
  const colds = [];
  for (let i = 0; i < CFG.coldRuns; i++) {
    const port = await freePort();
    // Listening = /healthz answers (polled every 10 ms); then the first page is asked for at once.
    const svc = await startServer(`service(${nLarge}, cold)`, process.execPath,
      [
        CLI, '--codex-home', large.dir, '--host', HOST, '--port', String(port),
        // Mixed: over the index built above (a restart), for the reason of row 1b's.
        '--log-level', 'warn', '--index-path', MIXED ? indexPathFor(large.dir) : join(INDEX_DIR, `cold-${i}.sqlite`),
        ...claudeArgs(large.dir),
      ],
      port, '/healthz');
    const page = await get(port, FIRST_PAGE);
    const firstPageMs = performance.now() - svc.startedAt;
    if (page.status !== 200) broken.push(`${svc.name} GET ${FIRST_PAGE} -> ${page.status} ${page.body.slice(0, 300)}`);
    colds.push({ firstPageMs, listeningMs: svc.readyMs });
    await svc.stop();
  }
  colds.sort((a, b) => a.firstPageMs - b.firstPageMs);
  const cold = colds[Math.floor(colds.length / 2)];
  row('coldStart', `6. cold start to first page, ${nLarge} sessions`, {
    p50Ms: round(cold.firstPageMs, 0),
    listeningMs: round(cold.listeningMs, 0),
    runs: colds.map((c) => ({ firstPageMs: round(c.firstPageMs, 0), listeningMs: round(c.listeningMs, 0) })),
  });
  target('coldStart', '6. cold start to first page (ms)', cold.firstPageMs, TARGETS.coldStartMs, 'max',
    `median of ${colds.length}: spawn of node dist/cli.js until GET ${FIRST_PAGE} answers 200 (of which ` +
      `${round(cold.listeningMs, 0)} ms until /healthz answers; OS page cache warm)`);

  await startupRow(large);

  // Rows 10, 9 and 11 and the peers' run on homes of their own: a mixed run leaves them out.
  // (not indented: the block only skips them)
  if (!MIXED) {
  // ---- 10: concurrent heavy reads in a temp home of their own (issue 9, item 3): all 200, RSS bounded.
  const heavy = await runHeavyReads({ cli: CLI, quick: QUICK, say });
  const { lineMiB, jsonGets, listPages } = heavy.config;
  row('heavyReads', `10. ${jsonGets} JSON GETs + ${listPages} list pages at once, ${lineMiB} MiB lines`, {
    requests: heavy.requests,
    p50Ms: round(heavy.seconds * 1000, 0),
    mbPerSec: round(heavy.mbSent / heavy.seconds, 1),
    peakRssMb: heavy.peakRssMb,
    statuses: heavy.statuses,
    mbSent: heavy.mbSent,
  });
  if (heavy.statuses[200] !== heavy.requests || heavy.incomplete > 0) {
    broken.push(`heavy reads: statuses ${JSON.stringify(heavy.statuses)}, ${heavy.incomplete} incomplete bodies`);
  }
  target('heavyReadsRss', '10. peak RSS (MB), heavy reads at once', heavy.peakRssMb, HEAVY_TARGET_RSS_MB, 'max',
    `VmHWM of a fresh service; ${heavy.requests} requests, statuses ${JSON.stringify(heavy.statuses)}, ${heavy.mbSent} MB sent in ` +
      `${heavy.seconds} s (all requests in flight at once: p50 column is the wall time)`);
  // ---- 10b: the same with the big lines as user messages carrying data-URL images (issue 17, item 8).
  const heavyImage = await runHeavyReads({ cli: CLI, quick: QUICK, shape: 'image', say });
  row('heavyReadsImage', `10b. ${jsonGets} JSON GETs + ${listPages} list pages at once, ${lineMiB} MiB image lines`, {
    requests: heavyImage.requests,
    p50Ms: round(heavyImage.seconds * 1000, 0),
    mbPerSec: round(heavyImage.mbSent / heavyImage.seconds, 1),
    peakRssMb: heavyImage.peakRssMb,
    statuses: heavyImage.statuses,
    mbSent: heavyImage.mbSent,
  });
  if (heavyImage.statuses[200] !== heavyImage.requests || heavyImage.incomplete > 0) {
    broken.push(`heavy image reads: statuses ${JSON.stringify(heavyImage.statuses)}, ${heavyImage.incomplete} incomplete bodies`);
  }
  target('heavyReadsImageRss', '10b. peak RSS (MB), heavy image reads at once', heavyImage.peakRssMb, HEAVY_TARGET_RSS_MB, 'max',
    `VmHWM of a fresh service; user messages with ${lineMiB} MiB data-URL images; statuses ${JSON.stringify(heavyImage.statuses)}`);
  // ---- 9: live updates, on a writable copy of the real fixture home.
  const liveHome = await mkdtemp(join(os.tmpdir(), 'codex-bench-live-'));
  await cp(join(ROOT, 'test', 'fixtures', 'codex-home-real'), liveHome, { recursive: true });
  const svcLive = await startService(liveHome, 'service(live)', '/readyz', ['--max-streams', '256']);
  try {
    row('fixture.compressed', '9c. compressed size of a default page, fixture home', await compressedSizes(svcLive, FIRST_PAGE));
    const [item] = JSON.parse((await get(svcLive.port, '/conversations?limit=1&head=0')).body).items;
    const file = join(liveHome, item.path);
    await chmod(file, 0o644);
    const lines = QUICK ? 50 : 200;
    const lat = await appendLatency({ port: svcLive.port, id: item.id, file, lines });
    const p50 = percentile(lat.latencies, 0.5);
    row('live.latency', `9a. append → event, one follower (${lines} lines, 20 ms apart)`, {
      requests: lat.latencies.length, p50Ms: round(p50, 1), p99Ms: round(percentile(lat.latencies, 0.99), 1), lost: lat.lost,
    });
    if (lat.lost > 0) broken.push(`9a: ${lat.lost} appended lines never reached the follower`);
    target('appendLatency', '9a. append → event p50 (ms), one follower', p50, TARGETS.appendLatencyMs, 'max',
      `${lat.latencies.length} lines; the follower wakes on the directory watch (inotify)`);
    const many = await manyFollowers({ port: svcLive.port, id: item.id, file, followers: 200, lines: QUICK ? 300 : 1000 });
    row('live.followers', `9b. ${many.followers} followers of one session, ${many.lines} lines appended in bursts`, {
      ...many, p50Ms: null, seconds: round(many.ms / 1000, 2),
    });
    if (many.duplicated > 0 || many.outOfOrder > 0) broken.push(`9b: ${many.duplicated} duplicated, ${many.outOfOrder} out of order`);
    target('followersLost', `9b. ${many.followers} followers under appends: lines lost`, many.lost, TARGETS.followersLost, 'max',
      `${many.followers} × ${many.lines} lines delivered in ${round(many.ms, 0)} ms; ${many.duplicated} duplicated, ` +
        `${many.outOfOrder} out of order`);
  } finally {
    await svcLive.stop();
    await rm(liveHome, { recursive: true, force: true });
  }
  await exportRows();
  // ---- 8: search against Codex's own thread/search on the same tree (full run only).
  if (!QUICK) await compareWithCodex();
  if (!QUICK) await compareWithCcusage();

  }
  // ---- report
  const report = {
    mode: CFG.mode,
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? null,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      platform: `${os.platform()} ${os.release()}`,
    },
    node: process.version,
    config: CFG,
    staticServer: staticKind,
    streamClient: STREAM_CLIENT,
    trees: Object.fromEntries(
      [['small', small], ['large', large]].map(([k, t]) => [k, {
        dir: t.dir,
        sessions: t.manifest.sessions,
        totalBytes: t.manifest.totalBytes,
        generationMs: t.manifest.generationMs,
        cached: t.cached,
        counts: t.manifest.counts,
        bigSession: t.manifest.bigSession,
        mixed: t.manifest.mixed ?? null,
      }]),
    ),
    rows,
    targets,
    broken,
    wallSeconds: round((Date.now() - started) / 1000, 1),
  };
  await writeFile(OUT, `${JSON.stringify(report, null, 2)}\n`);
  printTables(report);
  say(`results written to ${OUT} (${report.wallSeconds} s)`);
}

/** Sequential requests (as a client of Codex's stdio server makes them): p50 of their wall times. */
async function sequentialP50(fn, n) {
  const times = [];
  for (let i = 0; i < n; i++) times.push(await fn());
  times.sort((a, b) => a - b);
  return percentile(times, 0.5);
}

/**
 * Row 8: the two searches of row 5s on a 10,000-session tree, here and in `codex app-server`
 * (thread/search, first page of 20, all source kinds, active sessions), one request at a time on
 * both; and whether both find the same sessions (every page of each).
 */
async function compareWithCodex() {
  const tree = await ensureTree({ seed: CFG.seed, sessions: CFG.peerSessions, bigMb: CFG.bigMb });
  const n = tree.manifest.sessions.toLocaleString('en');
  const bin = codexBinary(join(cacheRoot(), 'tools'));
  if (bin === null) {
    for (const [name] of SEARCHES) {
      target(`codex.${name}`, `8. search / Codex thread/search (${name})`, null, TARGETS.codexSearchRatio, 'max',
        `@openai/codex@${CODEX_VERSION} could not be installed`);
    }
    return;
  }
  // Codex writes its state into the home it serves: it gets a copy of the tree.
  const copy = await mkdtemp(join(os.tmpdir(), 'codex-bench-copy-'));
  execFileSync('cp', ['-r', join(tree.dir, 'sessions'), join(tree.dir, 'archived_sessions'), copy]);
  const svc = await startService(tree.dir, `service(${n})`, '/readyz', NO_CACHE);
  let codex;
  try {
    const t0 = performance.now();
    codex = await startCodex(bin, copy);
    say(`codex app-server ${CODEX_VERSION} ready on ${n} sessions in ${round(performance.now() - t0, 0)} ms`);
    await waitForIndex(svc);
    for (const [name, phrase] of SEARCHES) {
      const path = `/search?q=${encodeURIComponent(phrase)}`;
      const ours = await sequentialP50(async () => {
        const t = performance.now();
        const res = await get(svc.port, path);
        if (res.status !== 200) broken.push(`${svc.name} GET ${path} -> ${res.status}`);
        return performance.now() - t;
      }, CFG.peerRequests);
      const theirs = await sequentialP50(async () => (await codex.search(phrase)).ms, CFG.peerRequests);
      const ourIds = new Set();
      let cursor = null;
      do {
        const res = await get(svc.port, `${path}&limit=100&matches=0${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        const page = JSON.parse(res.body);
        page.items.forEach((i) => ourIds.add(i.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      const codexIds = await codex.allIds(phrase);
      const same = ourIds.size === codexIds.size && [...ourIds].every((id) => codexIds.has(id));
      row(`codex.${name}`, `8. search "${phrase}" vs Codex thread/search, ${n} sessions`, {
        p50Ms: round(ours, 2),
        codexP50Ms: round(theirs, 2),
        sessions: ourIds.size,
        codexSessions: codexIds.size,
        sameSessions: same,
      });
      if (!same) broken.push(`search "${phrase}": ${ourIds.size} sessions here, ${codexIds.size} from Codex's thread/search`);
      target(`codex.${name}`, `8. search / Codex thread/search, first page (${name})`, ours / theirs, TARGETS.codexSearchRatio, 'max',
        `${round(ours, 2)} / ${round(theirs, 2)} ms, one request at a time; same ${ourIds.size} sessions: ${same}`);
    }
  } finally {
    codex?.stop();
    await svc.stop();
    await rm(copy, { recursive: true, force: true });
  }
}

/**
 * Row U3: usage per day on a 10,000-session tree, here (GET /usage from the complete index, one
 * request at a time) and by ccusage-codex `daily --json --offline` (which reads every file on each
 * run; sessions/ only, so ours is asked with archived=false). ccusage counts re-emitted events,
 * which the resumed sessions of the tree repeat: its totals are shown, not compared.
 */
async function compareWithCcusage() {
  const tree = await ensureTree({ seed: CFG.seed, sessions: CFG.peerSessions, bigMb: CFG.bigMb });
  const n = tree.manifest.sessions.toLocaleString('en');
  const label = `U3. /usage?groupBy=day / ccusage-codex ${CCUSAGE_VERSION} daily, ${n} sessions`;
  const entry = ccusageEntry(join(cacheRoot(), 'tools'));
  if (entry === null) {
    target('ccusage', label, null, TARGETS.ccusageRatio, 'max', `@ccusage/codex@${CCUSAGE_VERSION} could not be installed`);
    return;
  }
  const svc = await startService(tree.dir, `service(${n})`, '/readyz', NO_CACHE);
  try {
    await waitForIndex(svc);
    const path = '/usage?groupBy=day&archived=false';
    let totals = null;
    const ours = await sequentialP50(async () => {
      const t = performance.now();
      const res = await get(svc.port, path);
      if (res.status !== 200) broken.push(`${svc.name} GET ${path} -> ${res.status}`);
      else totals = JSON.parse(res.body).totals;
      return performance.now() - t;
    }, CFG.peerRequests);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await ccusageDaily(entry, tree.dir));
    const theirs = percentile(runs.map((r) => r.ms).sort((a, b) => a - b), 0.5);
    row('ccusage', label, {
      p50Ms: round(ours, 2),
      ccusageP50Ms: round(theirs, 0),
      totalTokens: totals?.totalTokens ?? null,
      ccusageTotalTokens: runs[0].totals?.totalTokens ?? null,
    });
    target('ccusage', `U3. /usage?groupBy=day / ccusage-codex daily (wall time)`, ours / theirs, TARGETS.ccusageRatio, 'max',
      `${round(ours, 2)} ms / ${round(theirs, 0)} ms (median of 3 runs); total tokens ${totals?.totalTokens} here, ` +
        `${runs[0].totals?.totalTokens} by ccusage (it counts re-emitted token_count events)`);
  } finally {
    await svc.stop();
  }
}

function printTables(report) {
  const fmt = (v) => (v === null || v === undefined ? '-' : String(v));
  const table = (header, lines) => {
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => fmt(l[i]).length)));
    const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? fmt(c).padEnd(widths[i]) : fmt(c).padStart(widths[i]))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
    return [line(header), rule, ...lines.map(line)].join('\n');
  };
  const out = [];
  out.push(
    `codex-sessions bench (${report.mode}) — ${report.date}, ` +
      `${report.machine.cores} cores (${report.machine.cpu}), Node ${report.node}`,
  );
  out.push(
    `static baseline: ${report.staticServer}; NDJSON client: ${report.streamClient}; ` +
      `other loads: autocannon, ${CFG.connections} connections, ${CFG.rounds}×${CFG.duration} s interleaved`,
  );
  out.push('');
  out.push(table(
    ['run', 'p50 ms', 'p99 ms', 'req/s', 'MB/s', 'peak RSS MB'],
    report.rows
      .filter((r) => r.buildMs === undefined && r.sizes === undefined)
      .map((r) => (r.na ? [r.label, r.na, '', '', '', ''] : [r.label, r.p50Ms, r.p99Ms, r.rps, r.mbPerSec, r.peakRssMb])),
  ));
  for (const r of report.rows.filter((r) => r.buildMs !== undefined)) {
    out.push('');
    out.push(`${r.label}: complete after ${(r.buildMs / 1000).toFixed(1)} s, ${r.sizeMb} MiB on disk`);
  }
  for (const r of report.rows.filter((r) => r.sizes !== undefined)) {
    const { identity, gzip, br } = r.sizes;
    out.push('');
    out.push(`${r.label}: ${identity} bytes, gzip ${gzip} (${round(identity / gzip, 1)}×), br ${br} (${round(identity / br, 1)}×)`);
  }
  out.push('');
  out.push(table(
    ['target', 'measured', 'limit', 'result'],
    report.targets.map((t) => [
      t.label,
      t.measured === null ? 'n/a' : t.measured,
      `${t.kind === 'max' ? '≤' : '≥'} ${t.limit}`,
      t.result === 'n/a' ? 'n/a (not implemented)' : t.result,
    ]),
  ));
  if (report.broken.length > 0) {
    out.push('');
    out.push('BROKEN:');
    for (const b of report.broken) out.push(`  - ${b}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function killChildren() {
  for (const c of children) c.kill('SIGKILL');
}
process.on('SIGINT', () => killChildren().then(() => process.exit(130)));
process.on('SIGTERM', () => killChildren().then(() => process.exit(143)));

try {
  await main();
} catch (err) {
  say(`FAILED: ${err.stack ?? err}`);
  await killChildren();
  if (!KEEP_INDEX) await rm(INDEX_DIR, { recursive: true, force: true });
  process.exit(1);
}
if (!KEEP_INDEX) await rm(INDEX_DIR, { recursive: true, force: true });
process.exit(broken.length > 0 ? 1 : 0);
