#!/usr/bin/env node
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, USAGE, loadConfig } from './config.js';
import { serveStdio } from './mcp/stdio.js';

/** Streams still in flight get this long to finish after SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // `codex-sessions mcp [flags]`: the same flags, served as MCP over stdio instead of HTTP.
  const mcp = args[0] === 'mcp';
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
    await serveStdio(config);
    return;
  }
  const app = await buildApp(config);
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  await app.listen({ host: config.host, port: config.port });
  app.log.info({ codexHome: config.codexHome, auth: config.token !== null }, 'serving Codex sessions');
}

await main();
