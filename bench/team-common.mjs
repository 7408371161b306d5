// What the team benches share (bench/team-push.mjs, bench/team-read.mjs): a throwaway PostgreSQL
// cluster, CPU seconds from /proc, the CLI as a child process, and one timed `push --once`.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export async function startCluster() {
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
export function cpuOf(pid, children = false) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').map(Number);
    // Fields 14-17 of stat(5): utime, stime, cutime, cstime; here indexed from field 3 (the state).
    return (fields[11] + fields[12] + (children ? fields[13] + fields[14] : 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

/** PostgreSQL's CPU seconds: the postmaster with its reaped backends, plus the live ones. */
export function pgCpu(postmaster) {
  if (postmaster === undefined) return Number.NaN;
  let live = 0;
  for (const task of readdirSync(`/proc/${postmaster}/task`)) {
    const kids = readFileSync(`/proc/${postmaster}/task/${task}/children`, 'utf8').trim();
    for (const kid of kids ? kids.split(' ') : []) live += cpuOf(kid) || 0;
  }
  return cpuOf(postmaster, true) + live;
}

/** CPU seconds of the server and of PostgreSQL while `work` runs (the server's background indexing included). */
export async function withCpu(serverPid, postmaster, work) {
  const [s0, p0] = [cpuOf(serverPid), pgCpu(postmaster)];
  const result = await work();
  return { ...result, serverCpuSeconds: cpuOf(serverPid) - s0, pgCpuSeconds: pgCpu(postmaster) - p0 };
}

export function cli(CLI, args, env = {}) {
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
export async function timedPush(CLI, server, token, home) {
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

/** A team server on a free port (its "listening" log line says which); `server.base` is its URL. */
export async function startTeamServer(CLI, url, args = []) {
  const server = cli(CLI, ['--database-url', url, '--port', '0', ...args]);
  let port;
  for (let i = 0; i < 1200 && port === undefined; i++) {
    port = /"msg":"Server listening at http:\/\/127\.0\.0\.1:(\d+)"/.exec(server.out())?.[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  if (port === undefined) {
    server.child.kill('SIGTERM');
    throw new Error(`server did not start: ${server.out()}`);
  }
  return { ...server, base: `http://127.0.0.1:${port}` };
}

/** The cluster's `postgres` URL made into one of a new database `name` on it (created). */
export async function createDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return adminUrl.replace('/postgres?', `/${name}?`);
}

/** The database's size in bytes (tables, indexes, TOAST). */
export async function databaseBytes(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return Number((await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
  } finally {
    await db.end();
  }
}
