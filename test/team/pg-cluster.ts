// A throwaway PostgreSQL cluster for the team-mode tests: initdb in a temp directory, started with
// pg_ctl on a private socket directory (no TCP), stopped and removed afterwards. PostgreSQL refuses
// to run as root, so under root the cluster belongs to the unprivileged `postgres` user.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** PG_BIN when set (and only it), else Debian's layout (/usr/lib/postgresql/<major>/bin), newest major first. */
export function postgresBin(): string | null {
  const explicit = process.env.PG_BIN;
  if (explicit !== undefined) return existsSync(join(explicit, 'initdb')) ? explicit : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

export interface Cluster {
  /** The `postgres` database's URL; tests create their own databases from it. */
  adminUrl: string;
  stop(): Promise<void>;
}

function urlFor(socketDir: string, port: number, database: string): string {
  return `postgresql://postgres@/${database}?host=${encodeURIComponent(socketDir)}&port=${port}`;
}

export async function startCluster(bin: string): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'codex-sessions-pg-'));
  const asRoot = userInfo().uid === 0;
  const as = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  if (asRoot) await chown(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), 0);
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  // Only the socket file's name carries the port when TCP is off: any number is free in a private directory.
  const port = 5432;
  // max_connections: team files run in parallel, each with several instances (a pool and a LISTEN
  // connection each) and push agents; the default 100 ran out on CI ("too many clients already").
  const options =
    `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off ` +
    '-c max_connections=400';
  await as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '120', 'start']);
  return {
    adminUrl: urlFor(dir, port, 'postgres'),
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The URL of another database on the cluster that `adminUrl` names. */
export function databaseUrl(adminUrl: string, database: string): string {
  return adminUrl.replace(/^(postgresql:\/\/[^/]*\/)[^?]*/, `$1${database}`);
}

/** The database pg-setup.ts migrates once; tests copy it (`migratedDatabase`) and never connect to it. */
export const MIGRATED_TEMPLATE = 'cs_migrated';

/**
 * Creates database `name` on the cluster of `adminUrl`, a copy of `template` (default: PostgreSQL's
 * empty template1). FILE_COPY (PostgreSQL 15+; before 15 the only way) copies the template's files:
 * half the server's CPU of 15's default, WAL_LOG, which writes every page of the copy to the WAL.
 */
export async function createDatabase(adminUrl: string, name: string, template = 'template1'): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const strategy = Number(rows[0]?.v) >= 150000 ? ' STRATEGY FILE_COPY' : '';
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}${strategy}`);
  } finally {
    await admin.end();
  }
}
