#!/usr/bin/env node
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, USAGE, loadConfig, type Config } from './config.js';

/** Streams still in flight get this long to finish after SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = loadConfig(process.argv.slice(2), process.env);
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
  const app = await buildApp(config);
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  const url = await app.listen({ host: config.host, port: config.port });
  app.log.info({ codexHome: config.codexHome, auth: config.token !== null }, 'serving Codex sessions');
  // A person at a terminal gets the address to open; a pipe or a log collector gets JSON lines only.
  if (process.stdout.isTTY) process.stdout.write(startupLine(url, config));
}

/** The one line for a person: where the dashboard is, what is served, how to stop. */
function startupLine(url: string, config: Config): string {
  const auth = config.token === null ? '' : ' (token required)';
  return `codex-sessions: dashboard at ${url}/${auth}, serving ${config.codexHome}; Ctrl-C to stop\n`;
}

await main();
