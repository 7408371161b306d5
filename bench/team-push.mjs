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
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { ensureTree } from './generate-tree.mjs';
import { sampleRss } from './process-memory.mjs';

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

async function startCluster() {
  const root = '/usr/lib/postgresql';
  const major = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => b - a)[0] : undefined;
  if (major === undefined) throw new Error('no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql) and no --database-url');
  const bin = join(root, major, 'bin');
  const dir = await mkdtemp(join(tmpdir(), 'codex-sessions-bench-pg-'));
  const asRoot = userInfo().uid === 0;
  const as = (cmd, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  if (asRoot) await chown(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), 0);
  await chmod(dir, 0o700);
  await as('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  // Durable settings (fsync on): the figures are those of a real server, not of a test cluster.
  const options = `-k ${dir} -p 5432 -c listen_addresses=''`;
  await as('pg_ctl', ['-D', join(dir, 'data'), '-o', options, '-l', join(dir, 'log'), '-w', '-t', '120', 'start']);
  return {
    url: `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}&port=5432`,
    postmaster: Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop: async () => {
      await as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) a process has used, with its reaped children's when `children` (Linux /proc; NaN elsewhere). */
function cpuOf(pid, children = false) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').map(Number);
    // Fields 14-17 of stat(5): utime, stime, cutime, cstime; here indexed from field 3 (the state).
    return (fields[11] + fields[12] + (children ? fields[13] + fields[14] : 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

/** PostgreSQL's CPU seconds: the postmaster with its reaped backends, plus the live ones. */
function pgCpu(postmaster) {
  if (postmaster === undefined) return Number.NaN;
  let live = 0;
  for (const task of readdirSync(`/proc/${postmaster}/task`)) {
    const kids = readFileSync(`/proc/${postmaster}/task/${task}/children`, 'utf8').trim();
    for (const kid of kids ? kids.split(' ') : []) live += cpuOf(kid) || 0;
  }
  return cpuOf(postmaster, true) + live;
}

/** CPU seconds of the server and of PostgreSQL while `work` runs (the server's background indexing included). */
async function withCpu(serverPid, postmaster, work) {
  const [s0, p0] = [cpuOf(serverPid), pgCpu(postmaster)];
  const result = await work();
  return { ...result, serverCpuSeconds: cpuOf(serverPid) - s0, pgCpuSeconds: pgCpu(postmaster) - p0 };
}

function cli(args, env = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done, out: () => stdout };
}

/**
 * One `push --once` under /usr/bin/time: wall seconds, CPU seconds (user + system: on a loaded
 * machine they say more than the wall clock) and peak RSS, from the kernel.
 */
async function timedPush(server, token, home) {
  const args = ['-f', 'TIME %e %U %S %M', process.execPath, CLI, 'push', '--server', server, '--codex-home', home, '--once'];
  const child = spawn('/usr/bin/time', args, {
    env: { PATH: process.env.PATH, CODEX_SESSIONS_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`push failed: ${stderr}`);
  const [wall, user, sys, kb] = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr).slice(1).map(Number);
  const summary = stderr.trim().split('\n').filter((l) => l.startsWith('push: ')).at(-1);
  return { seconds: wall, cpuSeconds: user + sys, peakMb: kb / 1024, summary };
}

const sessions = Number(argv.sessions);
const home = argv.tree ? resolve(argv.tree) : (await ensureTree({ seed: 42, sessions, bigMb: 200 })).dir;
const treeBytes = Number((await run('du', ['-sb', home])).stdout.split('\t')[0]);
const cluster = argv['database-url'] ? null : await startCluster();
const adminUrl = argv['database-url'] ?? cluster.url;
let server;
try {
  let url = adminUrl;
  if (cluster) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    url = adminUrl.replace('/postgres?', '/bench?');
  }
  const token = (await cli(['token', 'add', '--role', 'push', '--machine', 'bench', '--database-url', url]).done).stdout.trim();
  server = cli(['--database-url', url, '--port', '0']);
  let port;
  for (let i = 0; i < 400 && port === undefined; i++) {
    port = /"msg":"Server listening at http:\/\/127\.0\.0\.1:(\d+)"/.exec(server.out())?.[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  if (port === undefined) throw new Error(`server did not start: ${server.out()}`);
  const serverRss = sampleRss(server.child.pid);
  const base = `http://127.0.0.1:${port}`;
  const loadBefore = loadavg()[0];
  say(`first push of ${home} (${(treeBytes / 1e6).toFixed(0)} MB)`);
  const pid = server.child.pid;
  const first = await withCpu(pid, cluster?.postmaster, () => timedPush(base, token, home));
  say(`first push: ${first.seconds.toFixed(1)} s; ${first.summary}`);
  await new Promise((r) => setTimeout(r, 1000));
  const again = await withCpu(pid, cluster?.postmaster, () => timedPush(base, token, home));
  say(`re-push: ${again.seconds.toFixed(2)} s; ${again.summary}`);
  const serverPeakMb = await serverRss.stop();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const dbBytes = Number((await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
  await db.end();
  const cpu = (r) => `${r.serverCpuSeconds.toFixed(1)}, ${r.pgCpuSeconds.toFixed(1)}`;
  const rows = [
    [
      'team-1',
      `first push, ${sessions} sessions (agent CPU s)`,
      `${first.seconds.toFixed(1)} s (${first.cpuSeconds.toFixed(1)})`, '<= 60 s', first.seconds <= 60],
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
  await writeFile(out, `${JSON.stringify({ sessions, treeBytes, dbBytes, first, again, serverPeakMb, load, rows }, null, 2)}\n`);
} finally {
  server?.child.kill('SIGTERM');
  if (server) await server.done;
  await cluster?.stop();
}
