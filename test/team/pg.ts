// Each team test file gets a fresh database on the shared cluster (pg-setup.ts).
import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { MIGRATED_TEMPLATE, createDatabase, databaseUrl } from './pg-cluster.js';

export const pgAdminUrl = inject('pgAdminUrl');

/** `describe`, skipped (with the run's banner saying so) when there is no PostgreSQL and CI did not require one. */
export const describePg = pgAdminUrl === null ? describe.skip : describe;

/** A new, empty database; its URL. For the tests of migrating one (or of what an empty one does). */
export function freshDatabase(): Promise<string> {
  return newDatabase('template1');
}

/**
 * A new database with every migration applied; its URL. A copy of the one pg-setup.ts migrated
 * once: migrating each test's database took about as much of PostgreSQL's CPU as creating it.
 */
export function migratedDatabase(): Promise<string> {
  return newDatabase(MIGRATED_TEMPLATE);
}

async function newDatabase(template: string): Promise<string> {
  if (pgAdminUrl === null) throw new Error('no PostgreSQL cluster');
  const name = `t_${randomBytes(6).toString('hex')}`;
  await createDatabase(pgAdminUrl, name, template);
  return databaseUrl(pgAdminUrl, name);
}
