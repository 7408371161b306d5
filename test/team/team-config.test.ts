import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const URL = 'postgres://cs@db.example/cs';

describe('team mode configuration (no database needed)', () => {
  it('takes the database from --database-url or CODEX_SESSIONS_DATABASE_URL, the flag first', () => {
    const fromFlag = loadConfig(['--database-url', URL], { CODEX_SESSIONS_DATABASE_URL: 'postgres://other/x' });
    expect(fromFlag.help === false && fromFlag.config.databaseUrl).toBe(URL);
    const fromEnv = loadConfig([], { CODEX_SESSIONS_DATABASE_URL: URL });
    expect(fromEnv.help === false && fromEnv.config.databaseUrl).toBe(URL);
    const single = loadConfig([], {});
    expect(single.help === false && single.config.databaseUrl).toBeNull();
  });

  it('needs no shared token to bind a public address (every request carries a database token), and ignores CODEX_HOME', () => {
    const env = { CODEX_HOME: '/somewhere', CODEX_SESSIONS_TOKEN: 'x'.repeat(20) };
    const parsed = loadConfig(['--database-url', URL, '--host', '0.0.0.0'], env);
    expect(parsed.help === false && parsed.config).toMatchObject({ databaseUrl: URL, token: null, indexPath: null, host: '0.0.0.0' });
  });

  it('refuses flags about a local home or a shared token, and a URL that is not PostgreSQL, each with a clear message', () => {
    const cases: [string[], string][] = [
      [['--database-url', URL, '--codex-home', '/x'], '--codex-home and --database-url exclude each other'],
      [['--database-url', URL, '--index-path', '/x/i.sqlite'], '--index-path and --database-url exclude each other'],
      [['--database-url', URL, '--token', 'y'.repeat(20)], '--token and --database-url exclude each other'],
      [['--database-url', 'mysql://u:secret@h/d'], 'the database URL must start with postgres:// or postgresql://, got "mysql://u:***@h/d"'],
    ];
    for (const [args, message] of cases) {
      expect(() => loadConfig(args, {})).toThrow(ConfigError);
      expect(() => loadConfig(args, {})).toThrow(message);
    }
  });
});
