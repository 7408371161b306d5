#!/usr/bin/env node
// Team mode's read targets (SPEC section 9, issue 18) over HTTP: with the generated tree pushed by
// the real agent and indexed by the server, the p50 of the first list page (against the same page
// of the single-machine service over that tree with its SQLite index, interleaved request by
// request), of a search page (a phrase in a few sessions, one in every session) and of
// GET /usage?groupBy=day; the database's size next to the tree's; the peak RSS of the server and
// of the push agent. Needs `npm run build` first.
//
//   node bench/team-read.mjs [--sessions 100000] [--tree DIR] [--database-url URL] [--skip-push]
//                            [--index-path FILE] [--runs 30] [--out FILE] [--cli dist/cli.js] [--keep] [--no-wait]
//
// Without --database-url a throwaway cluster is started in a temp directory and removed afterwards
// (`--keep`: left running, its URL printed, for a later `--database-url URL --skip-push` run, e.g.
// of another build). `--skip-push`: the database already holds the tree (pushed as machine
// `bench`); the server only finishes indexing it. `--index-path`: the SQLite index of the tree
// (kept between runs; built when missing). At 100,000 sessions the server's catch-up takes hours on
// a loaded machine: bench/team-fill.mjs indexes the pushed home from the tree instead (the same
// rows; docs/team.md "Bench"). Before measuring, the database is analyzed (what autovacuum does
// some time after a large push), so that plans do not depend on when it last ran.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { ensureTree } from './generate-tree.mjs';
import { sampleRss } from './process-memory.mjs';
import { cli as cliOf, createDatabase, databaseBytes, startCluster, startTeamServer, timedPush } from './team-common.mjs';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const { values: argv } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100000' },
    tree: { type: 'string' },
    'database-url': { type: 'string' },
    'skip-push': { type: 'boolean', default: false },
    'index-path': { type: 'string' },
    runs: { type: 'string', default: '30' },
    out: { type: 'string' },
    cli: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-wait': { type: 'boolean', default: false },
  },
});
const CLI = resolve(argv.cli ?? join(HERE, '../dist/cli.js'));
const RUNS = Number(argv.runs);
const say = (msg) => process.stderr.write(`[team-read] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The paths of bench/run.mjs's rows (first page, 5s search, U2 usage), so that the figures compare. */
const FIRST_PAGE = '/conversations?limit=25&head=10';
const PATHS = [
  ['first page', FIRST_PAGE, null],
  ['search, rare phrase', `/search?q=${encodeURIComponent('(#4242')}`, 100],
  ['search, common phrase', `/search?q=${encodeURIComponent('Mock reply')}`, 100],
  ['usage by day', '/usage?groupBy=day', 100],
];

/**
 * Pushed rollouts whose index row is missing or behind the bytes held (the upkeep's staleness
 * rule, simplified: it is for waiting, not deciding).
 */
async function staleCount(db) {
  const { rows } = await db.query(`
    SELECT count(*)::int AS n FROM cs_files f
      LEFT JOIN cs_index_files i ON i.home = 'pushed:' || f.machine AND i.rel_path = f.path
     WHERE f.path LIKE '%/rollout-%'
       AND (i.rel_path IS NULL OR i.size <> f.size OR (i.is_session AND i.content_size <> f.size))`);
  return rows[0].n;
}

async function waitIndexed(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const t0 = performance.now();
    let last = null;
    for (;;) {
      const n = await staleCount(db);
      if (n === 0) return (performance.now() - t0) / 1000;
      const rate = last === null ? '' : `, ${((last.n - n) / ((performance.now() - last.t) / 1000)).toFixed(1)} files/s`;
      say(`indexing: ${n} pushed files not indexed yet${rate} (load ${loadavg()[0].toFixed(1)})`);
      last = { n, t: performance.now() };
      await sleep(30_000);
    }
  } finally {
    await db.end();
  }
}

async function notWaiting(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  say(`not waiting: ${await staleCount(db).finally(() => db.end())} pushed files not indexed yet`);
  return Number.NaN;
}

async function analyze(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query('ANALYZE').finally(() => db.end());
}

/** The single-machine service over the tree with its SQLite index, once the index is complete. */
async function startLocal(home, indexPath) {
  const args = ['--agents', 'codex', '--codex-home', home, '--index-path', indexPath, '--port', '0', '--response-cache-mb', '0'];
  const server = cliOf(CLI, args);
  let base;
  for (let i = 0; i < 1200 && base === undefined; i++) {
    base = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(server.out())?.[1];
    await sleep(50);
  }
  if (base === undefined) throw new Error(`the local service did not start: ${server.out()}`);
  for (;;) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.json()).catch(() => null);
    // A reused index (--index-path) is complete at once; its check of every file must not run during the requests.
    if (ready?.index?.complete === true && ready.index.lastPassMs !== null) return { ...server, base };
    say(`local SQLite index: ${ready?.index?.filesInIndex ?? '?'} files`);
    await sleep(10_000);
  }
}

async function timed(base, path, headers) {
  const t0 = performance.now();
  const res = await fetch(base + path, { headers });
  const body = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.slice(0, 300)}`);
  return { ms, body };
}

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ids = (body) => JSON.parse(body).items.map((i) => i.id);

const sessions = Number(argv.sessions);
const home = argv.tree ? resolve(argv.tree) : (await ensureTree({ seed: 42, sessions, bigMb: 200 })).dir;
const treeBytes = Number((await run('du', ['-sb', home])).stdout.split('\t')[0]);
const cluster = argv['database-url'] ? null : await startCluster();
const url = cluster ? await createDatabase(cluster.url, 'bench') : argv['database-url'];
const cli = (args) => cliOf(CLI, [...args, '--database-url', url]).done;
let server;
let local;
try {
  const loadBefore = loadavg()[0];
  const readToken = (await cli(['token', 'add', '--role', 'read'])).stdout.trim();
  server = await startTeamServer(CLI, url);
  const serverRss = sampleRss(server.child.pid);
  let push = null;
  if (!argv['skip-push']) {
    const pushToken = (await cli(['token', 'add', '--role', 'push', '--machine', 'bench'])).stdout.trim();
    say(`pushing ${home} (${(treeBytes / 1e6).toFixed(0)} MB)`);
    try {
      push = await timedPush(CLI, server.base, pushToken, home);
    } catch (err) {
      // A --once that met a network error ends with status 1 (seen once at load ~25: ECONNRESET); the next finishes it.
      const lines = String(err.message).split('\n');
      say(`the push failed (${lines.find((l) => l.startsWith('codex-sessions:')) ?? lines[0]}); pushing again`);
      push = { ...(await timedPush(CLI, server.base, pushToken, home)), failedFirst: lines.at(-2) };
    }
    say(`pushed in ${push.seconds.toFixed(1)} s; ${push.summary}`);
  }
  // --no-wait: measure what is indexed now (a 200 MB session can take the catch-up an hour under load).
  const indexSeconds = argv['no-wait'] ? await notWaiting(url) : await waitIndexed(url);
  say(`indexed ${indexSeconds.toFixed(0)} s after the push`);
  await analyze(url);
  // The first /usage starts reading the instance's in-memory usage copy (SQL answers meanwhile): read
  // it now, while the single-machine service starts, rather than during the measured requests.
  await timed(server.base, '/usage?groupBy=day', { authorization: `Bearer ${readToken}` });
  const indexPath = argv['index-path'] ?? join(await mkdtemp(join(tmpdir(), 'codex-sessions-bench-idx-')), 'index.sqlite');
  local = await startLocal(home, indexPath);
  const auth = { authorization: `Bearer ${readToken}` };
  const first = [await timed(server.base, FIRST_PAGE, auth), await timed(local.base, FIRST_PAGE, {})].map((r) => ids(r.body));
  const samePage = JSON.stringify(first[0]) === JSON.stringify(first[1]);
  if (!samePage) say('the first pages differ: team and single-machine services do not list the same sessions');
  const figures = [];
  for (const [name, path, limit] of PATHS) {
    const team = [];
    const single = [];
    await timed(server.base, path, auth); // warm: statements prepared, pages cached
    await timed(local.base, path, {});
    for (let i = 0; i < RUNS; i++) {
      team.push((await timed(server.base, path, auth)).ms);
      single.push((await timed(local.base, path, {})).ms);
    }
    figures.push({ name, path, limit, teamP50: p50(team), singleP50: p50(single) });
    say(`${name}: team ${p50(team).toFixed(1)} ms, single machine ${p50(single).toFixed(1)} ms`);
  }
  const serverPeakMb = await serverRss.stop();
  const dbBytes = await databaseBytes(url);
  const load = `${loadBefore.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`;
  const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rows = figures.map((f) => {
    const ratio = f.teamP50 / f.singleP50;
    const pass = f.limit === null ? ratio <= 2 : f.teamP50 <= f.limit;
    return [`${f.name} p50, team / single machine`, `${f.teamP50.toFixed(1)} / ${f.singleP50.toFixed(1)} ms (${ratio.toFixed(2)}x)`,
      f.limit === null ? '<= 2x' : `<= ${f.limit} ms`, pass];
  });
  rows.push(['database size / tree size', `${mb(dbBytes)} / ${mb(treeBytes)}`, '-', null]);
  rows.push(['peak RSS: server (push, indexing, reads), push agent',
    `${serverPeakMb?.toFixed(0)} MB, ${push ? `${push.peakMb.toFixed(0)} MB` : 'not pushed here'}`, '-', null]);
  if (push) rows.push(['first push (agent CPU s)', `${push.seconds.toFixed(1)} s (${push.cpuSeconds.toFixed(1)})`, '-', null]);
  rows.push(['indexing after the push', `${indexSeconds.toFixed(0)} s`, '-', null]);
  say(`load average (1 min) before -> after: ${load}; first pages ${samePage ? 'equal' : 'DIFFER'}`);
  process.stdout.write(`| ${sessions} sessions, ${RUNS} runs | measured | target | |\n|---|---|---|---|\n`);
  for (const [what, value, target, pass] of rows) {
    process.stdout.write(`| ${what} | ${value} | ${target} | ${pass === null ? '-' : pass ? 'pass' : 'MISS'} |\n`);
  }
  const out = argv.out ?? join(HERE, 'results-team-read.json');
  const result = { sessions, runs: RUNS, treeBytes, dbBytes, push, indexSeconds, serverPeakMb, load, samePage, figures };
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  for (const s of [server, local]) {
    s?.child.kill('SIGTERM');
    if (s) await s.done;
  }
  if (cluster && argv.keep) say(`cluster kept: --database-url '${url}'`);
  else await cluster?.stop();
}
