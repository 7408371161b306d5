#!/usr/bin/env node
// Team mode's push targets (SPEC section 9): the first push of the 10,000-session tree <= 60 s and a
// re-push with no change <= 2 s, into a local PostgreSQL, with the push agent's and the server's
// peak RSS and the database's size next to the tree's. Needs `npm run build` first.
//
//   node bench/team-push.mjs [--sessions 10000] [--tree DIR] [--database-url URL] [--out FILE] [--cli dist/cli.js]
//
// Without --database-url a throwaway cluster is started in a temp directory (Debian's PostgreSQL,
// as the `postgres` user under root) and removed afterwards. Without --tree the tree comes from
// bench/generate-tree.mjs's cache.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { ensureTree } from './generate-tree.mjs';
import { sampleRss } from './process-memory.mjs';
import {
  cli as cliOf, cpuOf, createDatabase, databaseBytes, pgCpu, startCluster, startTeamServer, timedPush as timedPushOf, withCpu,
} from './team-common.mjs';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const { values: argv } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    tree: { type: 'string' },
    'database-url': { type: 'string' },
    out: { type: 'string' },
    // Another build of the CLI (an A/B comparison against a copy of an older dist/).
    cli: { type: 'string' },
  },
});
const CLI = resolve(argv.cli ?? join(HERE, '../dist/cli.js'));
const say = (msg) => process.stderr.write(`[team-push] ${msg}\n`);
const cli = (args, env) => cliOf(CLI, args, env);
const timedPush = (...args) => timedPushOf(CLI, ...args);

/** Waits until every pushed rollout has an index row current with its bytes (the staleness rule simplified: for waiting only). */
async function waitIndexed(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    for (let last = 0; ; ) {
      const { rows } = await db.query(`
        SELECT count(*)::int AS n FROM cs_files f
          LEFT JOIN cs_index_files i ON i.home = 'pushed:' || f.machine AND i.rel_path = f.path
         WHERE f.path LIKE '%/rollout-%'
           AND (i.rel_path IS NULL OR i.size <> f.size OR (i.is_session AND i.content_size <> f.size))`);
      if (rows[0].n === 0) return;
      if (performance.now() - last > 10_000) {
        say(`indexing: ${rows[0].n} pushed files not indexed yet (load ${loadavg()[0].toFixed(1)})`);
        last = performance.now();
      }
      // Not more often: the count reads both tables whole, and PostgreSQL's CPU is measured meanwhile.
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await db.end();
  }
}

const sessions = Number(argv.sessions);
const home = argv.tree ? resolve(argv.tree) : (await ensureTree({ seed: 42, sessions, bigMb: 200 })).dir;
const treeBytes = Number((await run('du', ['-sb', home])).stdout.split('\t')[0]);
const cluster = argv['database-url'] ? null : await startCluster();
const adminUrl = argv['database-url'] ?? cluster.url;
let server;
try {
  const url = cluster ? await createDatabase(adminUrl, 'bench') : adminUrl;
  const token = (await cli(['token', 'add', '--role', 'push', '--machine', 'bench', '--database-url', url]).done).stdout.trim();
  server = await startTeamServer(CLI, url);
  const serverRss = sampleRss(server.child.pid);
  const base = server.base;
  const loadBefore = loadavg()[0];
  say(`first push of ${home} (${(treeBytes / 1e6).toFixed(0)} MB)`);
  const pid = server.child.pid;
  const t0 = performance.now();
  const [s0, p0] = [cpuOf(pid), pgCpu(cluster?.postmaster)];
  const first = await withCpu(pid, cluster?.postmaster, () => timedPush(base, token, home));
  say(`first push: ${first.seconds.toFixed(1)} s; ${first.summary}`);
  // The push is served once its files are indexed (docs/team.md, "Indexing pushed files"): timed from the push's start.
  await waitIndexed(url);
  const indexed = {
    seconds: (performance.now() - t0) / 1000,
    serverCpuSeconds: cpuOf(pid) - s0,
    pgCpuSeconds: pgCpu(cluster?.postmaster) - p0,
  };
  say(`indexed ${indexed.seconds.toFixed(1)} s after the push started (CPU s: server ${indexed.serverCpuSeconds.toFixed(1)}, ` +
    `PostgreSQL ${indexed.pgCpuSeconds.toFixed(1)}; load ${loadavg()[0].toFixed(1)})`);
  await new Promise((r) => setTimeout(r, 1000));
  const again = await withCpu(pid, cluster?.postmaster, () => timedPush(base, token, home));
  say(`re-push: ${again.seconds.toFixed(2)} s; ${again.summary}`);
  const serverPeakMb = await serverRss.stop();
  const dbBytes = await databaseBytes(url);
  const cpu = (r) => `${r.serverCpuSeconds.toFixed(1)}, ${r.pgCpuSeconds.toFixed(1)}`;
  const rows = [
    [
      'team-1',
      `first push, ${sessions} sessions (agent CPU s)`,
      `${first.seconds.toFixed(1)} s (${first.cpuSeconds.toFixed(1)})`, '<= 60 s', first.seconds <= 60],
    ['team-1b', 'first push indexed, from its start (CPU s: server, PostgreSQL)',
      `${indexed.seconds.toFixed(1)} s (${indexed.serverCpuSeconds.toFixed(1)}, ${indexed.pgCpuSeconds.toFixed(1)})`, '<= 60 s',
      indexed.seconds <= 60],
    ['team-2', 're-push, no change (agent CPU s)', `${again.seconds.toFixed(2)} s (${again.cpuSeconds.toFixed(2)})`, '<= 2 s',
      again.seconds <= 2],
    ['team-2b', 'CPU s during first push / re-push: server, PostgreSQL', `${cpu(first)} / ${cpu(again)}`, '-', null],
    ['team-3', 'database size / tree size', `${(dbBytes / 2 ** 20).toFixed(0)} MiB / ${(treeBytes / 2 ** 20).toFixed(0)} MiB`, '-', null],
    ['team-4', 'peak RSS: push agent (first push), server', `${first.peakMb?.toFixed(0)} MB, ${serverPeakMb?.toFixed(0)} MB`, '-', null],
  ];
  // The machine is shared: the load says how far the wall-clock figures can be trusted (the CPU ones less affected).
  const load = `${loadBefore.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`;
  say(`load average (1 min) before -> after: ${load}`);
  for (const [id, what, value, target, pass] of rows) {
    process.stdout.write(`| ${id} | ${what} | ${value} | ${target} | ${pass === null ? '-' : pass ? 'pass' : 'MISS'} |\n`);
  }
  const out = argv.out ?? join(HERE, 'results-team.json');
  await writeFile(out, `${JSON.stringify({ sessions, treeBytes, dbBytes, first, indexed, again, serverPeakMb, load, rows }, null, 2)}\n`);
} finally {
  server?.child.kill('SIGTERM');
  if (server) await server.done;
  await cluster?.stop();
}
