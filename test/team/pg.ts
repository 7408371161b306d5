// Each team test file gets a fresh database on the shared cluster (pg-setup.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { databaseUrl } from './pg-cluster.js';

export const pgAdminUrl = inject('pgAdminUrl');

/** `describe`, skipped (with the run's banner saying so) when there is no PostgreSQL and CI did not require one. */
export const describePg = pgAdminUrl === null ? describe.skip : describe;

/** A new, empty database; its URL. */
export async function freshDatabase(): Promise<string> {
  if (pgAdminUrl === null) throw new Error('no PostgreSQL cluster');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(pgAdminUrl, name);
}
