import { symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LIVE, DEFAULTS, defaultIndexPath, isLoopbackHost, loadConfig, type Config } from '../src/config.js';
import { tempHome } from './helper.js';

function config(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const parsed = loadConfig(argv, env);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.config;
}

describe('loadConfig', () => {
  it('defaults to ~/.codex on loopback 8787 without a token', () => {
    expect(config([])).toEqual({
      codexHome: join(homedir(), '.codex'),
      claudeHome: join(homedir(), '.claude'),
      agents: ['codex', 'claude'],
      host: '127.0.0.1',
      port: 8787,
      logLevel: 'info',
      token: null,
      corsOrigins: [],
      maxScanFiles: DEFAULTS.maxScanFiles,
      indexPath: defaultIndexPath(join(homedir(), '.codex'), {}),
      rateLimit: null,
      memoryBudgetBytes: 256 * 1024 * 1024,
      memoryWaitMs: 30_000,
      maxStreams: 64,
      responseCacheMb: 32,
      timeouts: DEFAULTS.timeouts,
      live: DEFAULT_LIVE,
      pricing: null,
      databaseUrl: null,
      searchBudgetChars: 32 * 1024 * 1024,
    });
    expect(defaultIndexPath('/h', {})).toMatch(new RegExp(`^${homedir()}/\\.cache/codex-sessions/index-[0-9a-f]{16}\\.sqlite$`));
    expect(defaultIndexPath('/h', { XDG_CACHE_HOME: '/xdg' })).toMatch(/^\/xdg\/codex-sessions\/index-[0-9a-f]{16}\.sqlite$/);
  });

  it('serves Claude from --claude-home, CLAUDE_CONFIG_DIR or ~/.claude, and only the agents --agents names', () => {
    expect(config(['--claude-home', '/c']).claudeHome).toBe('/c');
    expect(config([], { CLAUDE_CONFIG_DIR: '/cc' }).claudeHome).toBe('/cc');
    expect(config(['--claude-home', '/c'], { CLAUDE_CONFIG_DIR: '/cc' }).claudeHome).toBe('/c');
    expect(config(['--agents', 'codex'])).toMatchObject({ agents: ['codex'], claudeHome: null });
    expect(config([], { CODEX_SESSIONS_AGENTS: ' Claude ' })).toMatchObject({ agents: ['claude'], claudeHome: join(homedir(), '.claude') });
    expect(config(['--agents', 'claude,codex,claude']).agents).toEqual(['codex', 'claude']);
    expect(() => config(['--agents', 'codex,gemini'])).toThrow(ConfigError);
    expect(() => config(['--agents', 'codex,gemini'])).toThrow(/agents must be a comma-separated list of codex, claude, got "gemini"/);
    expect(() => config(['--agents', ','])).toThrow(/at least one/);
    expect(() => config(['--claude-home', '/c', '--index-path', '/c/i.sqlite'])).toThrow(/outside the Claude home/);
  });

  it('places the index where asked, or nowhere, but never inside the Codex home', () => {
    expect(config(['--index-path', '/var/cache/cs.sqlite']).indexPath).toBe('/var/cache/cs.sqlite');
    expect(config([], { CODEX_SESSIONS_INDEX_PATH: '/tmp/i.sqlite' }).indexPath).toBe('/tmp/i.sqlite');
    expect(config(['--no-index']).indexPath).toBeNull();
    expect(config([], { CODEX_SESSIONS_NO_INDEX: '1' }).indexPath).toBeNull();
    expect(() => config(['--codex-home', '/h', '--index-path', '/h/index.sqlite'])).toThrow(/outside the Codex home/);
  });

  it('reads --rate-limit N/min (or CODEX_SESSIONS_RATE_LIMIT), flag winning', () => {
    expect(config(['--rate-limit', '120/min']).rateLimit).toBe(120);
    expect(config(['--rate-limit', '30']).rateLimit).toBe(30);
    expect(config([], { CODEX_SESSIONS_RATE_LIMIT: '5 / MIN' }).rateLimit).toBe(5);
    expect(config(['--rate-limit', '7/min'], { CODEX_SESSIONS_RATE_LIMIT: '5/min' }).rateLimit).toBe(7);
  });

  it('reads --max-streams (or CODEX_SESSIONS_MAX_STREAMS), flag winning; refuses a bad value', () => {
    expect(config(['--max-streams', '200']).maxStreams).toBe(200);
    expect(config([], { CODEX_SESSIONS_MAX_STREAMS: '8' }).maxStreams).toBe(8);
    expect(config(['--max-streams', '3'], { CODEX_SESSIONS_MAX_STREAMS: '8' }).maxStreams).toBe(3);
    expect(() => config(['--max-streams', '0'])).toThrow(/max-streams must be between 1 and 100000/);
    expect(() => config(['--max-streams', 'many'])).toThrow(/max-streams must be a whole number/);
  });

  it('reads --response-cache-mb (or CODEX_SESSIONS_RESPONSE_CACHE_MB); 0 turns the cache off; refuses a bad value', () => {
    expect(config(['--response-cache-mb', '0']).responseCacheMb).toBe(0);
    expect(config([], { CODEX_SESSIONS_RESPONSE_CACHE_MB: '128' }).responseCacheMb).toBe(128);
    expect(() => config(['--response-cache-mb', 'lots'])).toThrow(/response-cache-mb must be a whole number/);
    expect(() => config(['--response-cache-mb', '5000'])).toThrow(/response-cache-mb must be between 0 and 4096/);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { CODEX_HOME: '/env/home', PORT: '9000', LOG_LEVEL: 'debug', CODEX_SESSIONS_MAX_SCAN_FILES: '50', CODEX_SESSIONS_CORS_ORIGINS: 'https://a.example, https://b.example' };
    expect(config([], env)).toMatchObject({ codexHome: '/env/home', port: 9000, logLevel: 'debug', maxScanFiles: 50, corsOrigins: ['https://a.example', 'https://b.example'] });
    expect(config(['--codex-home', '/flag/home', '--port', '0', '--max-scan-files', '7', '--cors-origin', 'http://localhost:3000'], env)).toMatchObject({
      codexHome: '/flag/home',
      port: 0,
      maxScanFiles: 7,
      corsOrigins: ['http://localhost:3000', 'https://a.example', 'https://b.example'],
    });
    expect(config(['--codex-home', '~/elsewhere']).codexHome).toBe(join(homedir(), 'elsewhere'));
  });

  it('refuses a non-loopback address without a token, with a clear message', () => {
    expect(() => config(['--host', '0.0.0.0'])).toThrow(ConfigError);
    expect(() => config(['--host', '0.0.0.0'])).toThrow(/refusing to listen on 0\.0\.0\.0 without a token/);
    expect(config(['--host', '0.0.0.0'], { CODEX_SESSIONS_TOKEN: 'x'.repeat(32) })).toMatchObject({
      host: '0.0.0.0',
      token: 'x'.repeat(32),
    });
  });

  it.each([
    [['--port', '70000'], /port must be between/],
    [['--port', 'http'], /port must be a whole number/],
    [['--max-scan-files', '0'], /max-scan-files must be between/],
    [['--log-level', 'loud'], /log-level must be one of/],
    [['--token', 'short'], /at least 16 characters/],
    [['--cors-origin', 'https://a.example/path'], /cors-origin must be an origin/],
    [['--unknown-flag'], /Unknown option/],
    [['--rate-limit', '0/min'], /rate-limit must be between/],
    [['--rate-limit', '10/hour'], /rate-limit must look like 120\/min/],
    [['--rate-limit', 'fast'], /rate-limit must look like 120\/min/],
  ])('rejects %j', (argv, message) => {
    expect(() => config(argv)).toThrow(message);
  });

  it('takes an IPv6 host in brackets, as in a URL, and listens on it bare', () => {
    expect(config(['--host', '[::1]']).host).toBe('::1');
    expect(config([], { HOST: '[::1]' }).host).toBe('::1');
    expect(() => config(['--host', '[]'])).toThrow(/host must be an address/);
  });

  it('refuses an index path that reaches into the Codex home through a symbolic link', async () => {
    const home = await tempHome();
    const elsewhere = await tempHome();
    await symlink(home, join(elsewhere, 'link-to-home'));
    expect(() => config(['--codex-home', home, '--index-path', join(elsewhere, 'link-to-home', 'index.sqlite')])).toThrow(
      /outside the Codex home/,
    );
    expect(() => config(['--codex-home', join(elsewhere, 'link-to-home'), '--index-path', join(home, 'sub', 'i.sqlite')])).toThrow(
      /outside the Codex home/,
    );
    expect(config(['--codex-home', home, '--index-path', join(elsewhere, 'index.sqlite')]).indexPath).toBe(join(elsewhere, 'index.sqlite'));
  });

  it('reads --memory-budget MiB (or CODEX_SESSIONS_MEMORY_BUDGET)', () => {
    expect(config(['--memory-budget', '64']).memoryBudgetBytes).toBe(64 * 1024 * 1024);
    expect(config([], { CODEX_SESSIONS_MEMORY_BUDGET: '1024' }).memoryBudgetBytes).toBe(1024 * 1024 * 1024);
    expect(() => config(['--memory-budget', '8'])).toThrow(/memory-budget must be between 16 and/);
  });

  it.each([['--port', '0x1F90'], ['--port', '8e3'], ['--port', '+80'], ['--max-scan-files', '1.5'], ['--memory-budget', '64MiB']])(
    'takes only decimal integers: %s %s',
    (flag, value) => {
      expect(() => config([flag, value])).toThrow(/must be a whole number/);
    },
  );

  it('reads --pricing FILE (or CODEX_SESSIONS_PRICING) at start-up, flag winning', async () => {
    const dir = await tempHome();
    const file = join(dir, 'prices.json');
    await writeFile(file, JSON.stringify({ asOf: '2026-12-01', models: { 'gpt-9': { input: 4, cachedInput: 0.4, output: 20 } } }));
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ models: {} }));
    expect(config(['--pricing', file]).pricing).toEqual({
      asOf: '2026-12-01',
      source: null,
      models: { 'gpt-9': { input: 4, cachedInput: 0.4, output: 20, source: 'the --pricing file' } },
    });
    expect(config([], { CODEX_SESSIONS_PRICING: other }).pricing?.models).toEqual({});
    expect(config(['--pricing', file], { CODEX_SESSIONS_PRICING: other }).pricing?.asOf).toBe('2026-12-01');
  });

  it('refuses a pricing file it cannot use, naming the file and the problem', async () => {
    const dir = await tempHome();
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ models: { 'gpt-9': { input: -1, cachedInput: 0, output: 1 } } }));
    expect(() => config(['--pricing', bad])).toThrow(ConfigError);
    expect(() => config(['--pricing', bad])).toThrow(`pricing file ${bad}: models["gpt-9"].input must be a number ≥ 0`);
    expect(() => config(['--pricing', join(dir, 'missing.json')])).toThrow(/pricing file .*missing\.json: cannot read it \(ENOENT\)/);
    await writeFile(bad, 'not json');
    expect(() => config([], { CODEX_SESSIONS_PRICING: bad })).toThrow(/pricing file .*bad\.json: not valid JSON/);
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('--help asks for the usage', () => {
    expect(loadConfig(['--help'], {})).toEqual({ help: true });
  });
});
