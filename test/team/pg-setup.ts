// vitest globalSetup of the team project: one PostgreSQL cluster for every team test file (initdb
// takes seconds on a loaded machine), each file in a database of its own (see pg.ts).
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { MIGRATED_TEMPLATE, createDatabase, databaseUrl, postgresBin, startCluster } from './pg-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The admin URL of the shared cluster, or null when PostgreSQL is absent (tests are skipped, loudly). */
    pgAdminUrl: string | null;
  }
}

function banner(): void {
  const line = '!'.repeat(78);
  process.stderr.write(
    `\n${line}\n!! SKIPPED: the team-mode tests (test/team) need PostgreSQL (initdb, pg_ctl).\n` +
      `!! Install it (Debian: apt-get install -y postgresql) or set PG_BIN. CI (.ci/run) installs it.\n${line}\n\n`,
  );
}

/** The template of `migratedDatabase` (pg.ts): migrated here once, its connections closed (a template in use can't be copied). */
async function migratedTemplate(adminUrl: string): Promise<void> {
  await createDatabase(adminUrl, MIGRATED_TEMPLATE);
  const pool = openPool(databaseUrl(adminUrl, MIGRATED_TEMPLATE), { max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void> | void> {
  const bin = postgresBin();
  if (bin === null) {
    // CI sets PG_REQUIRED=1: there, a missing PostgreSQL fails the run instead of skipping tests.
    if (process.env.PG_REQUIRED === '1') throw new Error('PG_REQUIRED=1 but PostgreSQL (initdb, pg_ctl) was not found');
    project.provide('pgAdminUrl', null);
    banner();
    return banner;
  }
  const cluster = await startCluster(bin);
  try {
    await migratedTemplate(cluster.adminUrl);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  project.provide('pgAdminUrl', cluster.adminUrl);
  return () => cluster.stop();
}
