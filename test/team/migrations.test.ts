import type pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate } from '../../src/team/db/migrations.js';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { openPool } from '../../src/team/db/pool.js';
import { describePg, freshDatabase } from './pg.js';

const pools: pg.Pool[] = [];
afterEach(async () => {
  while (pools.length > 0) await pools.pop()?.end();
});
function pool(url: string): pg.Pool {
  const p = openPool(url, { max: 2 });
  pools.push(p);
  return p;
}

describePg('migrations', () => {
  it('bring an empty database to the latest version once; a second run finds nothing to do', async () => {
    const url = await freshDatabase();
    expect(await migrate(pool(url))).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(await migrate(pool(url))).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    const { rows } = await pool(url).query('SELECT version FROM cs_schema ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  // The other team tests start on a migrated copy (startTeam, pg.ts): this one keeps the server's own start on an empty database tested.
  it('a team-mode server started on an empty database migrates it before it is ready', async () => {
    const url = await freshDatabase();
    const app = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: url });
    try {
      await app.ready();
      const { rows } = await pool(url).query('SELECT version FROM cs_schema ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await app.close();
    }
  });

  it('two instances starting together on one empty database: both start, each migration applied once', async () => {
    const url = await freshDatabase();
    // Two pools, two connections: without the advisory lock the second CREATE TABLE would fail.
    const results = await Promise.all([migrate(pool(url)), migrate(pool(url)), migrate(pool(url))]);
    expect(results.filter((r) => r.from === 0)).toHaveLength(1);
    expect(results.every((r) => r.to === SCHEMA_VERSION)).toBe(true);
    const { rows } = await pool(url).query('SELECT version, count(*)::int AS n FROM cs_schema GROUP BY version ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
  });

  it('an instance older than the schema refuses with a message that says what to do, and changes nothing', async () => {
    const url = await freshDatabase();
    await migrate(pool(url));
    await pool(url).query("INSERT INTO cs_schema (version, name) VALUES ($1, 'from the future')", [SCHEMA_VERSION + 1]);
    const failure = migrate(pool(url));
    await expect(failure).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(migrate(pool(url))).rejects.toThrow(
      `the database schema is version ${SCHEMA_VERSION + 1}, newer than this codex-sessions understands (${SCHEMA_VERSION}); ` +
        'upgrade codex-sessions',
    );
    // The lock was given back: another connection can take it at once.
    const { rows } = await pool(url).query('SELECT pg_try_advisory_lock($1) AS got', [0x63735f6d]);
    expect(rows[0].got).toBe(true);
  });
});
