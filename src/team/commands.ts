import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkDatabaseUrl } from './db/url.js';
import { PushAgent } from './push/agent.js';
import { PushClient, PushError } from './push/client.js';
import { NotACodexHome } from './push/local-tree.js';
import { Progress, type PassResult } from './push/progress.js';
import type { Role } from './tokens.js';

export const TOKEN_USAGE = `Usage: codex-sessions token add --role read|usage|push [--machine NAME] [--database-url URL]
       codex-sessions token list [--database-url URL]
       codex-sessions token revoke ID|PREFIX [--database-url URL]

The database comes from --database-url or CODEX_SESSIONS_DATABASE_URL. "add" prints only the new
token on stdout (once: only its hash is stored); the details go to stderr.
Roles: read (everything), usage (only /usage aggregates), push (ingest as --machine NAME).
`;

export const PUSH_USAGE = `Usage: codex-sessions push --server URL [--codex-home DIR] [--once]

Sends this machine's Codex sessions to a team server: the token (a push token) comes from
CODEX_SESSIONS_TOKEN; the home from --codex-home, CODEX_HOME or ~/.codex (only read, never written).
Without --once it keeps watching and sends changes within two seconds.
`;

/** How often the watching agent looks at the home. */
const WATCH_INTERVAL_MS = 1000;

class UsageError extends Error {}

/** The program cannot go on (a schema too new): said as is, exit 1. */
class Refused extends Error {}

function fail(message: string): number {
  process.stderr.write(`codex-sessions: ${message}\n`);
  return 2;
}

function databaseUrlOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = flag?.trim() || env.CODEX_SESSIONS_DATABASE_URL?.trim();
  if (!url) throw new UsageError('give the database with --database-url URL or CODEX_SESSIONS_DATABASE_URL');
  const bad = checkDatabaseUrl(url);
  if (bad !== null) throw new UsageError(bad);
  return url;
}

async function token(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Loaded here: `push` (whose no-change pass should take a blink) needs neither the PostgreSQL client nor the schema.
  const [{ SchemaTooNewError, migrate }, { openPool }, { ROLES, TokenError, addToken, listTokens, revokeToken }] = await Promise.all([
    import('./db/migrations.js'),
    import('./db/pool.js'),
    import('./tokens.js'),
  ]);
  try {
    return await tokenCommand();
  } catch (err) {
    if (err instanceof TokenError) throw new UsageError(err.message);
    if (err instanceof SchemaTooNewError) throw new Refused(err.message);
    throw err;
  }

  async function tokenCommand(): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        machine: { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [action, ...rest] = positionals;
    if (values.help || action === undefined) {
      process.stdout.write(TOKEN_USAGE);
      return values.help ? 0 : 2;
    }
    if (!['add', 'list', 'revoke'].includes(action)) throw new UsageError(`unknown token command "${action}"\n\n${TOKEN_USAGE}`);
    if (action === 'add' && !(ROLES as readonly string[]).includes(values.role ?? '')) {
      throw new UsageError(`token add needs --role ${ROLES.join('|')}`);
    }
    if (action === 'revoke' && rest.length !== 1) throw new UsageError('token revoke takes one token id or prefix (see token list)');
    const pool = openPool(databaseUrlOf(values['database-url'], env), { max: 1 });
    try {
      await migrate(pool);
      if (action === 'add') {
        const { token: secret, info } = await addToken(pool, values.role as Role, values.machine ?? null);
        process.stdout.write(`${secret}\n`);
        const machine = info.machine ? `, machine ${info.machine}` : '';
        process.stderr.write(`token ${info.id} (${info.prefix}…) created: role ${info.role}${machine}; it is shown only this once\n`);
      } else if (action === 'list') {
        process.stdout.write('ID\tPREFIX\tROLE\tMACHINE\tCREATED\tREVOKED\n');
        for (const t of await listTokens(pool)) {
          process.stdout.write(`${t.id}\t${t.prefix}\t${t.role}\t${t.machine ?? '-'}\t${t.createdAt}\t${t.revokedAt ?? '-'}\n`);
        }
      } else if (!(await revokeToken(pool, rest[0] as string))) {
        process.stderr.write(`codex-sessions: no live token ${rest[0]}\n`);
        return 1;
      } else {
        process.stderr.write(`token ${rest[0]} revoked\n`);
      }
      return 0;
    } finally {
      await pool.end();
    }
  }
}

async function push(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      'codex-home': { type: 'string' },
      once: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(PUSH_USAGE);
    return 0;
  }
  const server = values.server?.trim();
  if (!server || !/^https?:\/\/[^\s]+$/i.test(server)) throw new UsageError(`push needs --server http(s)://HOST[:PORT]\n\n${PUSH_USAGE}`);
  const secret = env.CODEX_SESSIONS_TOKEN?.trim();
  if (!secret) {
    throw new UsageError('push needs a push token in CODEX_SESSIONS_TOKEN (codex-sessions token add --role push --machine NAME)');
  }
  const raw = values['codex-home']?.trim() || env.CODEX_HOME?.trim() || '~/.codex';
  const home = resolve(raw === '~' || raw.startsWith('~/') ? homedir() + raw.slice(1) : raw);
  const client = new PushClient(server, secret);
  const machine = await client.connect();
  process.stderr.write(`push: ${home} to ${server} as machine ${machine}\n`);
  const progress = new Progress(process.stderr, !values.once);
  const agent = new PushAgent(home, client, progress);
  if (values.once) {
    // A disputed offset (another pusher of this machine) or a request lost on the way (a
    // connection reset under load) is looked at again, a few times, from what the server holds.
    const total: PassResult = { files: 0, bytes: 0, replaced: 0, moved: 0, deleted: 0, disputed: 0 };
    const add = (pass: PassResult | null) => {
      for (const k of ['files', 'bytes', 'replaced', 'moved', 'deleted'] as const) total[k] += pass?.[k] ?? 0;
    };
    for (let attempt = 1; attempt <= ONCE_PASSES; attempt++) {
      try {
        const pass = await agent.pass();
        add(pass);
        if (pass.disputed > 0) continue;
        if (attempt > 1) progress.allPasses(total, attempt);
        return 0;
      } catch (err) {
        if (!passingTrouble(err) || attempt === ONCE_PASSES) throw err;
        add(agent.lastPass);
        const sent = agent.lastPass?.files ? ` (after ${agent.lastPass.files} files sent)` : '';
        process.stderr.write(`push: ${(err as Error).message}${sent}; trying again\n`);
        agent.relist();
      }
    }
    process.stderr.write('codex-sessions: some files kept changing on the server; run push again\n');
    return 1;
  }
  for (;;) {
    try {
      await agent.pass();
    } catch (err) {
      if (!passingTrouble(err)) throw err;
      // The server or network is away for a moment: the next pass starts over from what the server holds.
      process.stderr.write(`push: ${(err as Error).message}; retrying\n`);
      agent.relist();
    }
    await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
  }
}

/** Passes of `push --once` at most. */
const ONCE_PASSES = 3;

/** An error another pass may not meet (the server or the network away for a moment), as opposed to a refusal or a wrong home. */
function passingTrouble(err: unknown): boolean {
  if (err instanceof PushError && (err.status === 401 || err.status === 403)) return false;
  return !(err instanceof NotACodexHome);
}

/** `codex-sessions token …` and `codex-sessions push …`: the exit code. */
export async function runTeamCommand(command: 'token' | 'push', args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    return command === 'token' ? await token(args, env) : await push(args, env);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return fail((err as Error).message);
    if (err instanceof Refused || err instanceof PushError || err instanceof NotACodexHome) {
      process.stderr.write(`codex-sessions: ${err.message}\n`);
      return 1;
    }
    const code = (err as { code?: string }).code;
    // A network error of a system call (no server at that address, a reset, a name not found): said, not thrown.
    const network = typeof (err as { syscall?: unknown }).syscall === 'string';
    const database = code === '3D000' || code === '28P01';
    // A reset or a timed-out answer carries no system call.
    const lost = code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE';
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || lost || database || network || (err as Error).name === 'TypeError') {
      const cause = (err as { cause?: Error }).cause;
      process.stderr.write(`codex-sessions: ${(err as Error).message}${cause ? `: ${cause.message}` : ''}\n`);
      return 1;
    }
    throw err;
  }
}
