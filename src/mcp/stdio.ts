import pino from 'pino';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createRepository, REDACT } from '../app.js';
import type { Config } from '../config.js';
import type { SessionRepository } from '../rollout/repository.js';
import { createMcpServer } from './server.js';
import type { McpAccess } from './tools.js';

/**
 * `codex-sessions mcp`: the MCP server over stdin/stdout, for an agent's MCP configuration. It
 * reads the same home, with the same index, as the HTTP service given the same flags. Standard
 * output carries the protocol only: logs go to standard error. It ends when its client closes
 * standard input (or on SIGINT/SIGTERM).
 */
export async function serveStdio(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel, redact: REDACT }, pino.destination(2));
  const { databaseUrl } = config;
  let repository: SessionRepository & { close(): Promise<void> };
  let access: McpAccess | undefined;
  if (databaseUrl === null) {
    const local = createRepository(config, log);
    local.start();
    repository = local;
  } else {
    // Team mode: the database's sessions, every tool (whoever holds the database URL reads it all).
    const { openTeamReader } = await import('../team/read/standalone.js');
    const team = await openTeamReader({ ...config, databaseUrl }, log);
    repository = Object.assign(team.repository, { close: team.close });
    access = { team: true, usageOnly: false };
  }
  const server = createMcpServer(repository, access);
  const transport = new StdioServerTransport();
  let closing = false;
  let ended = false;
  let pending = 0;
  const close = async () => {
    if (closing) return;
    closing = true;
    await repository.close().catch(() => {});
    process.exit(0);
  };
  // A client may write its last requests and close stdin at once: answer them, then end.
  process.stdin.once('end', () => {
    ended = true;
    if (pending === 0) void close();
  });
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await server.connect(transport);
  const receive = transport.onmessage;
  transport.onmessage = (...args: Parameters<NonNullable<typeof receive>>) => {
    if ('id' in args[0] && 'method' in args[0]) pending += 1;
    receive?.(...args);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message) => {
    await send(message);
    if ('id' in message && !('method' in message)) pending -= 1;
    if (ended && pending <= 0) void close();
  };
  log.info(databaseUrl === null ? { codexHome: config.codexHome } : { team: true }, 'serving agent sessions over MCP (stdio)');
}
