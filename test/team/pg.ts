// Each team test file gets a fresh database on the shared cluster (pg-setup.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { MIGRATED_TEMPLATE, databaseUrl } from './pg-cluster.js';

export const pgAdminUrl = inject('pgAdminUrl');

/** `describe`, skipped (with the run's banner saying so) when there is no PostgreSQL and CI did not require one. */
export const describePg = pgAdminUrl === null ? describe.skip : describe;

/** A new, empty database; its URL. For the tests of migrating one (or of what an empty one does). */
export function freshDatabase(): Promise<string> {
  return createDatabase('template1');
}

/**
 * A new database with every migration applied; its URL. A copy of the one pg-setup.ts migrated
 * once: migrating each test's database took about as much of PostgreSQL's CPU as creating it.
 */
export function migratedDatabase(): Promise<string> {
  return createDatabase(MIGRATED_TEMPLATE);
}

async function createDatabase(template: string): Promise<string> {
  if (pgAdminUrl === null) throw new Error('no PostgreSQL cluster');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    // FILE_COPY (PostgreSQL 15+; before 15 the only way) copies the template's files: half the
    // server's CPU of 15's default, WAL_LOG, which writes every page of the copy to the WAL.
    const { rows } = await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const strategy = Number(rows[0]?.v) >= 150000 ? ' STRATEGY FILE_COPY' : '';
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}${strategy}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(pgAdminUrl, name);
}
