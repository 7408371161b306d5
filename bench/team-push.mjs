#!/usr/bin/env node
// Team mode's push targets (SPEC section 9): the first push of the 10,000-session tree <= 60 s and a
// re-push with no change <= 2 s, into a local PostgreSQL, with the push agent's and the server's
// peak RSS and the database's size next to the tree's. Needs `npm run build` first.
//
//   node bench/team-push.mjs [--sessions 10000] [--tree DIR] [--database-url URL] [--out FILE]
//
// Without --database-url a throwaway cluster is started in a temp directory (Debian's PostgreSQL,
// as the `postgres` user under root) and removed afterwards. Without --tree the tree comes from
// bench/generate-tree.mjs's cache.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { ensureTree } from './generate-tree.mjs';
import { sampleRss } from './process-memory.mjs';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '../dist/cli.js');
const { values: argv } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    tree: { type: 'string' },
    'database-url': { type: 'string' },
    out: { type: 'string' },
  },
});
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
    stop: async () => {
      await as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
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
  say(`first push of ${home} (${(treeBytes / 1e6).toFixed(0)} MB)`);
  const first = await timedPush(base, token, home);
  say(`first push: ${first.seconds.toFixed(1)} s; ${first.summary}`);
  await new Promise((r) => setTimeout(r, 1000));
  const again = await timedPush(base, token, home);
  say(`re-push: ${again.seconds.toFixed(2)} s; ${again.summary}`);
  const serverPeakMb = await serverRss.stop();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const dbBytes = Number((await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
  await db.end();
  const rows = [
    [
      'team-1',
      `first push, ${sessions} sessions (agent CPU s)`,
      `${first.seconds.toFixed(1)} s (${first.cpuSeconds.toFixed(1)})`, '<= 60 s', first.seconds <= 60],
    ['team-2', 're-push, no change (agent CPU s)', `${again.seconds.toFixed(2)} s (${again.cpuSeconds.toFixed(2)})`, '<= 2 s',
      again.seconds <= 2],
    ['team-3', 'database size / tree size', `${(dbBytes / 2 ** 20).toFixed(0)} MiB / ${(treeBytes / 2 ** 20).toFixed(0)} MiB`, '-', null],
    ['team-4', 'peak RSS: push agent (first push), server', `${first.peakMb?.toFixed(0)} MB, ${serverPeakMb?.toFixed(0)} MB`, '-', null],
  ];
  for (const [id, what, value, target, pass] of rows) {
    process.stdout.write(`| ${id} | ${what} | ${value} | ${target} | ${pass === null ? '-' : pass ? 'pass' : 'MISS'} |\n`);
  }
  const out = argv.out ?? join(HERE, 'results-team.json');
  await writeFile(out, `${JSON.stringify({ sessions, treeBytes, dbBytes, first, again, serverPeakMb, rows }, null, 2)}\n`);
} finally {
  server?.child.kill('SIGTERM');
  if (server) await server.done;
  await cluster?.stop();
}
