#!/usr/bin/env node
import closeWithGrace from 'close-with-grace';
import { ConfigError, USAGE, loadConfig, type Config } from './config.js';
import { findClaudeHome } from './rollout/sources/claude/home.js';

/** Streams still in flight get this long to finish after SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'token' || command === 'push') {
    // The team commands (src/team) load the PostgreSQL client only when used.
    const { runTeamCommand } = await import('./team/commands.js');
    process.exitCode = await runTeamCommand(command, process.argv.slice(3), process.env);
    return;
  }
  const args = process.argv.slice(2);
  // `codex-sessions mcp [flags]`: the same flags, served as MCP over stdio instead of HTTP.
  const mcp = command === 'mcp';
  let parsed;
  try {
    parsed = loadConfig(mcp ? args.slice(1) : args, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`codex-sessions: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { config } = parsed;
  if (mcp) {
    if (config.databaseUrl !== null) {
      process.stderr.write('codex-sessions: mcp serves a Codex home; it does not take --database-url (team mode) yet\n');
      process.exit(2);
    }
    // Loaded only for this command: the MCP SDK is not parsed when the service starts.
    const { serveStdio } = await import('./mcp/stdio.js');
    await serveStdio(config);
    return;
  }
  let app;
  try {
    // Loaded here, not at the top: `push` and `token` start without the service's modules (fastify and the rest).
    const { buildApp } = await import('./app.js');
    app = await buildApp(config);
  } catch (err) {
    // Team mode's start-up failures (no database, a schema newer than this program) are the user's to fix.
    if (config.databaseUrl === null) throw err;
    process.stderr.write(`codex-sessions: cannot start in team mode: ${(err as Error).message}\n`);
    process.exit(1);
  }
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  const url = await app.listen({ host: config.host, port: config.port });
  app.log.info(
    {
      agents: config.agents,
      codexHome: config.codexHome,
      claudeHome: config.claudeHome,
      team: config.databaseUrl !== null,
      auth: config.token !== null,
    },
    'serving sessions',
  );
  // A person at a terminal gets the address to open; a pipe or a log collector gets JSON lines only.
  if (process.stdout.isTTY) process.stdout.write(startupLine(url, await servedWhat(config), config));
}

/** The one line for a person: where the dashboard is, what is served, how to stop. */
function startupLine(url: string, served: string, config: Config): string {
  const auth = config.token === null ? '' : ' (token required)';
  return `codex-sessions: dashboard at ${url}/${auth}, serving ${served}; Ctrl-C to stop\n`;
}

/**
 * Where the sessions come from, in words: the homes served (a Claude home only when it was
 * found, as /readyz says), or the team database (never its URL: it may hold a password).
 */
async function servedWhat(config: Config): Promise<string> {
  if (config.databaseUrl !== null) return 'the team database';
  const claude = config.claudeHome === null ? null : await findClaudeHome(config.claudeHome);
  const homes = [config.agents.includes('codex') ? config.codexHome : null, claude?.home ?? null].filter((h) => h !== null);
  return homes.join(' and ');
}

await main();
