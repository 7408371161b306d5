import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { buildApp } from '../../src/app.js';
import { defaultConfig, type Config } from '../../src/config.js';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { addToken, type Role } from '../../src/team/tokens.js';
import { afterThisTest } from '../helper.js';
import { migratedDatabase } from './pg.js';

export interface Team {
  url: string;
  base: string;
  app: FastifyInstance;
  /** A pool of the test's own, to look at what the server stored. */
  db: pg.Pool;
  token(role: Role, machine?: string): Promise<string>;
}

/** A new database (a copy of the migrated template, pg.ts) with a team-mode server listening on it (the defaults but `overrides`). */
export async function startTeam(overrides: Partial<Config> = {}): Promise<Team> {
  const url = await migratedDatabase();
  const app = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', ...overrides, databaseUrl: url });
  afterThisTest(() => app.close());
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const db = openPool(url, { max: 2 });
  afterThisTest(() => db.end());
  await migrate(db);
  return {
    url,
    base: address,
    app,
    db,
    token: async (role, machine) => (await addToken(db, role, machine ?? null)).token,
  };
}

/** Everything the server holds of one file, joined. */
export async function heldBytes(db: pg.Pool, machine: string, path: string): Promise<Buffer | null> {
  const { rows } = await db.query<{ data: Buffer | null; size: string }>(
    `SELECT f.size, (SELECT string_agg(c.data, ''::bytea ORDER BY c."offset") FROM cs_chunks c WHERE c.file_id = f.id) AS data
       FROM cs_files f WHERE f.machine = $1 AND f.path = $2`,
    [machine, path],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const data = row.data ?? Buffer.alloc(0);
  if (data.length !== Number(row.size)) throw new Error(`${path}: ${data.length} bytes in chunks, size says ${row.size}`);
  return data;
}
