import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { McpAccess } from '../mcp/tools.js';
import type { SessionRepository } from '../rollout/repository.js';
import { HttpProblem } from './problem.js';
import { hostnameOf } from './security.js';

export interface McpRouteOptions {
  repository: SessionRepository;
  /** Browser origins allowed besides the server's own (--cors-origin). */
  corsOrigins: string[];
  /** What the request's token may use (team mode: by its role); absent: everything, over one home. */
  accessOf?: (request: FastifyRequest) => McpAccess;
}

/**
 * A browser page may POST to /mcp without a CORS preflight in no case (its JSON body needs one),
 * but MCP asks servers to check Origin all the same (DNS rebinding): a request that carries one
 * is served only from the server's own origin or a configured --cors-origin. Host and the token
 * are checked before this, for every route (security.ts).
 */
function checkOrigin(request: FastifyRequest, allowed: readonly string[]): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | null;
  try {
    host = new URL(origin).host;
  } catch {
    host = null;
  }
  const own = host !== null && hostnameOf(request.headers.host ?? '') !== null && host === request.headers.host;
  if (!own && !allowed.includes(origin)) throw new HttpProblem('FORBIDDEN', 'Origin is not allowed to use /mcp');
}

/**
 * `/mcp`: MCP over Streamable HTTP (docs/mcp.md), stateless: each POST gets a fresh server and
 * transport over the one repository, answered as JSON (no session to keep, nothing held between
 * requests, any instance can answer). GET (a server-to-client stream) and DELETE (ending a
 * session) have no meaning without sessions: 405, from the transport.
 */
export async function mcpRoutes(app: FastifyInstance, { repository, corsOrigins, accessOf }: McpRouteOptions): Promise<void> {
  // The SDK (and zod) load on the first /mcp request, not at start-up: most instances never
  // serve MCP, and parsing them was a third of the time to listening.
  const load = () => Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('../mcp/server.js')]);
  let sdk: ReturnType<typeof load> | undefined;
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    checkOrigin(request, corsOrigins);
    sdk ??= load();
    const [{ StreamableHTTPServerTransport }, { createMcpServer }] = await sdk;
    const server = createMcpServer(repository, accessOf?.(request));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.once('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  };
  const schema = { summary: 'Model Context Protocol (Streamable HTTP, stateless): see docs/mcp.md', tags: ['mcp'], hide: true };
  app.post('/mcp', { schema }, handle);
  app.get('/mcp', { schema }, handle);
  app.delete('/mcp', { schema }, handle);
}
