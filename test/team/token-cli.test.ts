import { expect, it } from 'vitest';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import { hashToken } from '../../src/team/tokens.js';
import { runCli } from './cli-run.js';
import { describePg, freshDatabase, migratedDatabase } from './pg.js';

describePg('codex-sessions token', () => {
  it('add prints only the new token on stdout, stores only its hash; list shows no secret; revoke ends it', async () => {
    const url = await freshDatabase();
    const added = await runCli(['token', 'add', '--role', 'push', '--machine', 'alice', '--database-url', url]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^cst_[A-Za-z0-9_-]{43}\n$/);
    const token = added.stdout.trim();
    expect(added.stderr).toContain('role push, machine alice');
    expect(added.stderr).not.toContain(token);
    // The variable works as well as the flag.
    const read = await runCli(['token', 'add', '--role', 'read'], { CODEX_SESSIONS_DATABASE_URL: url });
    expect(read.code).toBe(0);

    const db = openPool(url, { max: 1 });
    try {
      const { rows } = await db.query('SELECT hash, prefix, role, machine FROM cs_tokens ORDER BY id');
      expect(rows).toHaveLength(2);
      expect(rows[0].hash.equals(hashToken(token))).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(token);
    } finally {
      await db.end();
    }
    const list = await runCli(['token', 'list', '--database-url', url]);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(token);
    expect(list.stdout.split('\n')[1]).toMatch(new RegExp(`^1\\t${token.slice(0, 10)}\\tpush\\talice\\t\\S+\\t-$`));
    expect(list.stdout.split('\n')[2]).toMatch(/^2\tcst_\S{6}\tread\t-\t\S+\t-$/);

    expect((await runCli(['token', 'revoke', '1', '--database-url', url])).code).toBe(0);
    const again = await runCli(['token', 'revoke', '1', '--database-url', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no live token 1');
    expect((await runCli(['token', 'list', '--database-url', url])).stdout.split('\n')[1]).not.toMatch(/\t-$/);
  });

  it('refuses bad usage with a clear message and exit code 2', async () => {
    const url = await freshDatabase();
    const cases: [string[], string][] = [
      [['token', 'add', '--role', 'push', '--database-url', url], 'a push token needs --machine NAME'],
      [['token', 'add', '--role', 'read', '--machine', 'a', '--database-url', url], '--machine is for push tokens only'],
      [['token', 'add', '--role', 'admin', '--database-url', url], 'token add needs --role read|usage|push'],
      [['token', 'add', '--role', 'push', '--machine', '../x', '--database-url', url], 'machine names are'],
      [['token', 'add', '--role', 'read'], 'give the database with --database-url URL or CODEX_SESSIONS_DATABASE_URL'],
      [['token', 'add', '--role', 'read', '--database-url', 'mysql://x'], 'must start with postgres://'],
      [['token', 'frobnicate', '--database-url', url], 'unknown token command'],
      [['token', 'list', '--bogus'], "Unknown option '--bogus'"],
    ];
    // At once: each refusal is a CLI start of its own and adds no token (the two that get as far as
    // migrating the fresh database take turns under the migration lock, as instances do).
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    cases.forEach(([args, message], i) => {
      expect(runs[i]!.code, args.join(' ')).toBe(2);
      expect(runs[i]!.stdout).toBe('');
      expect(runs[i]!.stderr).toContain(message);
    });
  });

  it('refuses a database whose schema is newer than the program', async () => {
    const url = await migratedDatabase();
    const db = openPool(url, { max: 1 });
    try {
      await migrate(db);
      await db.query("INSERT INTO cs_schema (version, name) VALUES (999, 'future')");
    } finally {
      await db.end();
    }
    const run = await runCli(['token', 'list', '--database-url', url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the database schema is version 999, newer than this codex-sessions understands');
    const server = await runCli(['--database-url', url, '--port', '0', '--log-level', 'silent']);
    expect(server.code).toBe(1);
    expect(server.stderr).toContain('cannot start in team mode: the database schema is version 999');
  });
});
