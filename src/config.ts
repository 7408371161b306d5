import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isWithin } from './rollout/files/fs-safety.js';
import { DEFAULT_BUDGET_WAIT_MS, DEFAULT_MEMORY_BUDGET_BYTES } from './rollout/reading/byte-budget.js';
import { DEFAULT_SEARCH_BUDGET_CHARS } from './rollout/search/search-work.js';
import { RETRY_AFTER_S } from './rollout/tuning.js';
import { REPLAY_MAX } from './team/read/team-replay.js';
import { parseArgs } from 'node:util';
import { checkDatabaseUrl } from './team/db/url.js';
import { loadPricingFile, PricingFileError, type PricingOverrides } from './rollout/usage/pricing.js';
import { claudeHomeFrom } from './rollout/sources/claude/home.js';
import type { AgentName } from './rollout/sources/source.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  codexHome: string;
  /**
   * The Claude Code home (`--claude-home`, `CLAUDE_CONFIG_DIR`, `~/.claude`); null: Claude
   * sessions are not served (`--agents` leaves them out, team mode, or a test's defaultConfig).
   * A home without `projects/` is served as empty, never a start-up error (docs/claude.md).
   */
  claudeHome: string | null;
  /** The agents whose sessions are served (`--agents codex,claude`); always at least one. */
  agents: readonly AgentName[];
  host: string;
  port: number;
  logLevel: LogLevel;
  token: string | null;
  corsOrigins: string[];
  maxScanFiles: number;
  /** The metadata index file (outside the Codex home); null: no index, scan only. */
  indexPath: string | null;
  /** Requests per minute per client address; null: no limit. */
  rateLimit: number | null;
  /** Bytes of session content all requests may hold in memory at once (see MemoryBudget). */
  memoryBudgetBytes: number;
  /** How long a request waits for room in the memory budget before it is answered 503. */
  memoryWaitMs: number;
  /** Event streams (GET /events and followers of a session, together) served at once; more get 503. */
  maxStreams: number;
  /** MiB of built JSON bodies (list, search, usage) kept for repeat requests of an unchanged tree; 0: none. */
  responseCacheMb: number;
  /** Characters of text one search request may examine before it answers a partial page (no flag; tests lower it). */
  searchBudgetChars: number;
  timeouts: ServerTimeouts;
  live: LiveSettings;
  /** Model prices from `--pricing FILE` over the built-in table; null: the built-in table only. */
  pricing: PricingOverrides | null;
  /** Team mode (docs/team.md): the sessions and tokens live in this PostgreSQL database; null: one machine's home. */
  databaseUrl: string | null;
}

/** Fixed settings of the event streams (no flags; tests shorten them). */
export interface LiveSettings {
  /** A comment line is sent this often on every stream, so that proxies keep it open. */
  heartbeatMs: number;
  /** Bytes a stream may have waiting for a client that does not read; past this the client is dropped. */
  streamBufferBytes: number;
  /** A follower looks at its file this often even without a watch event (a safety net). */
  followPollMs: number;
  /** `Retry-After` (seconds) of a 503 when every stream slot is taken or the server is shutting down. */
  retryAfterSeconds: number;
  /** Team mode: at most this many changed files are replayed to a reconnecting client; more mean `reset`. */
  replayMax: number;
}

export const DEFAULT_LIVE: LiveSettings = {
  heartbeatMs: 15_000,
  streamBufferBytes: 1024 * 1024,
  followPollMs: 1000,
  retryAfterSeconds: RETRY_AFTER_S.streams,
  replayMax: REPLAY_MAX,
};

/** Socket and request time limits of the HTTP server, in milliseconds (slow-client defence). */
export interface ServerTimeouts {
  /** The whole request head must arrive within this long (slowloris). */
  headersMs: number;
  /** The whole request, head and body, must arrive within this long. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveMs: number;
  /** A connection on which nothing moves either way for this long is closed. */
  idleSocketMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  idleSocketMs: 60_000,
};

export const MIN_TOKEN_LENGTH = 16;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  logLevel: 'info' as LogLevel,
  maxScanFiles: 10_000,
  rateLimit: null as number | null,
  memoryBudgetMiB: DEFAULT_MEMORY_BUDGET_BYTES / (1024 * 1024),
  memoryWaitMs: DEFAULT_BUDGET_WAIT_MS,
  maxStreams: 64,
  responseCacheMb: 32,
  timeouts: DEFAULT_TIMEOUTS,
};

const MiB = 1024 * 1024;

/**
 * Every setting at its default for `codexHome`, without an index (scan only): the base that
 * loadConfig fills from flags and environment, and a ready configuration for tests and tools.
 */
export function defaultConfig(codexHome: string): Config {
  return {
    codexHome,
    claudeHome: null,
    agents: ['codex'],
    host: DEFAULTS.host,
    port: DEFAULTS.port,
    logLevel: DEFAULTS.logLevel,
    token: null,
    corsOrigins: [],
    maxScanFiles: DEFAULTS.maxScanFiles,
    indexPath: null,
    rateLimit: DEFAULTS.rateLimit,
    memoryBudgetBytes: DEFAULTS.memoryBudgetMiB * MiB,
    memoryWaitMs: DEFAULTS.memoryWaitMs,
    maxStreams: DEFAULTS.maxStreams,
    responseCacheMb: DEFAULTS.responseCacheMb,
    searchBudgetChars: DEFAULT_SEARCH_BUDGET_CHARS,
    timeouts: { ...DEFAULTS.timeouts },
    live: { ...DEFAULT_LIVE },
    pricing: null,
    databaseUrl: null,
  };
}

/** A configuration the service must not start with; the message tells the user what to change. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const USAGE = `Usage: codex-sessions [options]          serve the HTTP API and the dashboard
       codex-sessions mcp [options]      serve MCP over stdin/stdout, for an agent (docs/mcp.md)

Options (each also read from the environment variable in brackets; flags win):
  --codex-home DIR        Codex home to serve [CODEX_HOME] (default ~/.codex)
  --claude-home DIR       Claude Code home to serve [CLAUDE_CONFIG_DIR] (default ~/.claude)
  --agents LIST           agents to serve, comma-separated: codex, claude [CODEX_SESSIONS_AGENTS]
                          (default both)
  --host HOST             address to bind [HOST] (default ${DEFAULTS.host})
  --port N                port, 0 for any free one [PORT] (default ${DEFAULTS.port})
  --token TOKEN           require "Authorization: Bearer TOKEN" [CODEX_SESSIONS_TOKEN]
                          (prefer the variable: flags are visible to other local users)
  --cors-origin ORIGIN    allow this browser origin; repeatable [CODEX_SESSIONS_CORS_ORIGINS, comma-separated]
  --max-scan-files N      files one list request may examine (default ${DEFAULTS.maxScanFiles}) [CODEX_SESSIONS_MAX_SCAN_FILES]
  --index-path FILE       metadata index (SQLite) location [CODEX_SESSIONS_INDEX_PATH]
                          (default $XDG_CACHE_HOME or ~/.cache, codex-sessions/index-<hash of the home>.sqlite)
  --no-index              no index: every query scans the files [CODEX_SESSIONS_NO_INDEX=1]
  --rate-limit N/min      at most N requests a minute per client address; 429 beyond [CODEX_SESSIONS_RATE_LIMIT] (default off)
  --memory-budget MIB     session content all requests may hold in memory at once; requests wait for room, then 503
                          [CODEX_SESSIONS_MEMORY_BUDGET] (default ${DEFAULTS.memoryBudgetMiB})
  --max-streams N         event streams at once (/events and followers); 503 beyond (default ${DEFAULTS.maxStreams})
                          [CODEX_SESSIONS_MAX_STREAMS]
  --response-cache-mb N   MiB of built list, search and usage bodies kept while the tree is unchanged; 0: off
                          (default ${DEFAULTS.responseCacheMb}) [CODEX_SESSIONS_RESPONSE_CACHE_MB]
  --pricing FILE          JSON model prices that add to or override the built-in table [CODEX_SESSIONS_PRICING]
                          ({"models": {"<model>": {"input", "cachedInput", "output"}}}, USD per 1M tokens)
  --database-url URL      team mode: serve the sessions pushed into this PostgreSQL database, with tokens from it
                          (codex-sessions token|push --help) [CODEX_SESSIONS_DATABASE_URL]
  --log-level LEVEL       ${LOG_LEVELS.join('|')} [LOG_LEVEL] (default ${DEFAULTS.logLevel})
  -h, --help              show this help
`;

/** Loopback names and addresses: the only binds allowed without a token. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h.startsWith('::ffff:127.');
}

/** A decimal integer, digits only: no sign, no exponent, no hex, no white space inside. */
function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^\d{1,15}$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** `N/min` or a bare `N`: requests a minute. */
function perMinute(raw: string): number {
  const match = /^(\d+)\s*(?:\/\s*min)?$/i.exec(raw.trim());
  if (!match) throw new ConfigError(`rate-limit must look like 120/min, got "${raw}"`);
  return integer('rate-limit', match[1] as string, 1, 1_000_000);
}

/** One index file per Codex home, in the user's cache directory. */
export function defaultIndexPath(codexHome: string, env: NodeJS.ProcessEnv): string {
  const cache = nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache');
  const hash = createHash('sha256').update(codexHome).digest('hex').slice(0, 16);
  return join(cache, 'codex-sessions', `index-${hash}.sqlite`);
}

/**
 * The real path of `path` as far as it exists: symbolic links in the existing part are
 * resolved, the rest is appended as given. A lexical comparison would miss an index path that
 * reaches into the home through a link.
 */
function realPathSoFar(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPathSoFar(parent), basename(path));
  }
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A `--pricing` file, read and validated at start-up: a bad one stops the service with what to fix. */
function pricingFile(path: string): PricingOverrides {
  try {
    return loadPricingFile(path);
  } catch (err) {
    if (err instanceof PricingFileError) throw new ConfigError(`pricing file ${path}: ${err.message}`);
    throw err;
  }
}

/** Team mode serves what was pushed: flags about a local home or a shared token make no sense there. */
function checkTeamFlags(databaseUrl: string, values: { 'codex-home'?: string; token?: string; 'index-path'?: string }): void {
  const bad = checkDatabaseUrl(databaseUrl);
  if (bad !== null) throw new ConfigError(bad);
  if (values['codex-home'] !== undefined) {
    throw new ConfigError(
      '--codex-home and --database-url exclude each other: in team mode the sessions come from the database ' +
        '(push them with codex-sessions push)',
    );
  }
  if (values['index-path'] !== undefined) {
    throw new ConfigError('--index-path and --database-url exclude each other: in team mode the index lives in the database');
  }
  if (values.token !== undefined) {
    throw new ConfigError(
      '--token and --database-url exclude each other: team mode always requires tokens from the database (codex-sessions token add)',
    );
  }
}

const AGENTS: readonly AgentName[] = ['codex', 'claude'];

/** `--agents`: a comma-separated list of known agents, each at most once, in the service's fixed order. */
function agentList(raw: string): AgentName[] {
  const names = raw.split(',').map((a) => a.trim().toLowerCase()).filter((a) => a !== '');
  const unknown = names.find((a) => !(AGENTS as readonly string[]).includes(a));
  if (unknown !== undefined) throw new ConfigError(`agents must be a comma-separated list of ${AGENTS.join(', ')}, got "${unknown}"`);
  if (names.length === 0) throw new ConfigError(`agents must name at least one of ${AGENTS.join(', ')}`);
  return AGENTS.filter((a) => names.includes(a));
}

export type ParsedCli = { help: true } | { help: false; config: Config };

/** Flags and environment → one validated configuration. Throws ConfigError with a user-facing message. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCli {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'codex-home': { type: 'string' },
        'claude-home': { type: 'string' },
        agents: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        'cors-origin': { type: 'string', multiple: true },
        'max-scan-files': { type: 'string' },
        'rate-limit': { type: 'string' },
        'memory-budget': { type: 'string' },
        'max-streams': { type: 'string' },
        'response-cache-mb': { type: 'string' },
        'index-path': { type: 'string' },
        'no-index': { type: 'boolean' },
        'log-level': { type: 'string' },
        pricing: { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return { help: true };

  const databaseUrl = nonEmpty(values['database-url']) ?? nonEmpty(env.CODEX_SESSIONS_DATABASE_URL) ?? null;
  if (databaseUrl !== null) checkTeamFlags(databaseUrl, values);
  const codexHome = resolve(expandHome(nonEmpty(values['codex-home']) ?? nonEmpty(env.CODEX_HOME) ?? '~/.codex'));
  // An IPv6 address may come in brackets, as in a URL (`[::1]`); listen() wants it bare.
  const host = (nonEmpty(values.host) ?? nonEmpty(env.HOST) ?? DEFAULTS.host).replace(/^\[(.*)\]$/, '$1');
  if (host === '' || /[\s/[\]]/.test(host)) throw new ConfigError(`host must be an address or a host name, got "${host}"`);
  const indexPath = databaseUrl !== null || values['no-index'] || env.CODEX_SESSIONS_NO_INDEX === '1'
    ? null
    : resolve(expandHome(nonEmpty(values['index-path']) ?? nonEmpty(env.CODEX_SESSIONS_INDEX_PATH) ?? defaultIndexPath(codexHome, env)));
  if (indexPath !== null && isWithin(realPathSoFar(codexHome), realPathSoFar(indexPath))) {
    throw new ConfigError(`the index must live outside the Codex home (the service never writes there), got ${indexPath}`);
  }
  const agents = agentList(nonEmpty(values.agents) ?? nonEmpty(env.CODEX_SESSIONS_AGENTS) ?? 'codex,claude');
  const claudeHome = databaseUrl !== null || !agents.includes('claude') ? null : claudeHomeFrom(values['claude-home'], env);
  if (indexPath !== null && claudeHome !== null && isWithin(realPathSoFar(claudeHome), realPathSoFar(indexPath))) {
    throw new ConfigError(`the index must live outside the Claude home (the service never writes there), got ${indexPath}`);
  }
  const portRaw = nonEmpty(values.port) ?? nonEmpty(env.PORT);
  const port = portRaw === undefined ? DEFAULTS.port : integer('port', portRaw, 0, 65535);
  const scanRaw = nonEmpty(values['max-scan-files']) ?? nonEmpty(env.CODEX_SESSIONS_MAX_SCAN_FILES);
  const maxScanFiles = scanRaw === undefined ? DEFAULTS.maxScanFiles : integer('max-scan-files', scanRaw, 1, 10_000_000);
  const rateRaw = nonEmpty(values['rate-limit']) ?? nonEmpty(env.CODEX_SESSIONS_RATE_LIMIT);
  const rateLimit = rateRaw === undefined ? DEFAULTS.rateLimit : perMinute(rateRaw);
  const budgetRaw = nonEmpty(values['memory-budget']) ?? nonEmpty(env.CODEX_SESSIONS_MEMORY_BUDGET);
  const memoryBudgetMiB = budgetRaw === undefined ? DEFAULTS.memoryBudgetMiB : integer('memory-budget', budgetRaw, 16, 1_048_576);
  const streamsRaw = nonEmpty(values['max-streams']) ?? nonEmpty(env.CODEX_SESSIONS_MAX_STREAMS);
  const maxStreams = streamsRaw === undefined ? DEFAULTS.maxStreams : integer('max-streams', streamsRaw, 1, 100_000);
  const cacheRaw = nonEmpty(values['response-cache-mb']) ?? nonEmpty(env.CODEX_SESSIONS_RESPONSE_CACHE_MB);
  const responseCacheMb = cacheRaw === undefined ? DEFAULTS.responseCacheMb : integer('response-cache-mb', cacheRaw, 0, 4096);
  const levelRaw = (nonEmpty(values['log-level']) ?? nonEmpty(env.LOG_LEVEL) ?? DEFAULTS.logLevel).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(levelRaw)) {
    throw new ConfigError(`log-level must be one of ${LOG_LEVELS.join(', ')}, got "${levelRaw}"`);
  }
  // Team mode takes its tokens from the database; CODEX_SESSIONS_TOKEN there is the push agent's.
  const token = databaseUrl !== null ? null : (nonEmpty(values.token) ?? nonEmpty(env.CODEX_SESSIONS_TOKEN) ?? null);
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(`the token must be at least ${MIN_TOKEN_LENGTH} characters long (try: openssl rand -hex 32)`);
  }
  if (token !== null && /\s/.test(token)) throw new ConfigError('the token must not contain white space');
  if (token === null && databaseUrl === null && !isLoopbackHost(host)) {
    throw new ConfigError(
      `refusing to listen on ${host} without a token: session files hold prompts, code and secrets. ` +
        'Set CODEX_SESSIONS_TOKEN (or --token), or bind a loopback address such as 127.0.0.1.',
    );
  }
  const corsOrigins = [
    ...(values['cors-origin'] ?? []),
    ...(nonEmpty(env.CODEX_SESSIONS_CORS_ORIGINS)?.split(',') ?? []),
  ]
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/i.test(origin)) {
      throw new ConfigError(`cors-origin must be an origin like https://dash.example.com (no path), got "${origin}"`);
    }
  }
  const pricingPath = nonEmpty(values.pricing) ?? nonEmpty(env.CODEX_SESSIONS_PRICING);
  const pricing = pricingPath === undefined ? null : pricingFile(resolve(expandHome(pricingPath)));
  return {
    help: false,
    config: {
      ...defaultConfig(codexHome),
      claudeHome,
      agents,
      ...{ host, port, logLevel: levelRaw as LogLevel, token, corsOrigins, maxScanFiles, indexPath, rateLimit, maxStreams, pricing },
      memoryBudgetBytes: memoryBudgetMiB * MiB,
      responseCacheMb,
      databaseUrl,
    },
  };
}
