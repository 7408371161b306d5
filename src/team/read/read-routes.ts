import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { conversationRoutes } from '../../http/conversations.js';
import { followRoutes } from '../../http/events.js';
import { exportRoutes } from '../../http/export.js';
import { mcpRoutes } from '../../http/mcp.js';
import { HttpProblem } from '../../http/problem.js';
import { rateLimiting } from '../../http/rate-limit.js';
import { searchRoutes } from '../../http/search.js';
import type { StreamRegistry } from '../../http/sse.js';
import { usageRoutes } from '../../http/usage.js';
import type { MemoryBudget } from '../../rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS } from '../../rollout/reading/session-reader.js';
import type { FollowStart } from '../../rollout/live/follower.js';
import type { RolloutFile, RolloutLogger } from '../../rollout/types.js';
import type { PriceBook } from '../../rollout/usage/pricing.js';
import type { Principal } from '../tokens.js';
import { teamEventRoutes } from './team-events.js';
import { TeamFeed } from './team-feed.js';
import { TeamFollow } from './team-follow.js';
import { teamHealthRoutes } from './team-health.js';
import { TeamIndex } from './team-index.js';
import { TeamRepository } from './team-repository.js';

export interface TeamReadOptions {
  pool: pg.Pool;
  memory: MemoryBudget;
  prices: PriceBook;
  maxScanFiles: number;
  streams: StreamRegistry;
  /** Requests a minute per client address (--rate-limit), null for none: reads only, pushes are not limited. */
  rateLimit: number | null;
  log: RolloutLogger;
  principalOf(request: FastifyRequest): Principal;
  /** Browser origins allowed besides the server's own (--cors-origin), for /mcp's Origin check. */
  corsOrigins: string[];
  /** Changed files replayed at most to a reconnecting /events client (`live.replayMax`). */
  replayMax: number;
}

/** The only route a `usage` token may read: the aggregates, never a session's id, title or text. */
const USAGE_ROUTE = '/usage';
/** Routes a `usage` token may use besides: MCP with the usage report only (src/mcp/tools.ts McpAccess), readiness. */
const USAGE_ALSO = new Set(['/mcp', '/readyz']);

/**
 * Who may read what (docs/team.md, "Roles"). `read` reads every route; `usage` only `/usage`, and
 * not grouped by session (its keys are session ids); `push` reads nothing (it ingests, under
 * /push/, which checks its own roles). Decided on the route, before the query is looked at, so
 * that a wrong role learns nothing from a 400 either.
 */
function checkRole(principal: Principal, route: string): void {
  if (principal.role === 'read') return;
  if (principal.role === 'usage' && (route === USAGE_ROUTE || USAGE_ALSO.has(route))) return;
  const may = principal.role === 'usage' ? 'only GET /usage (aggregates) and its MCP tool' : 'only the /push/ endpoints';
  throw new HttpProblem('WRONG_ROLE', `a ${principal.role} token may read ${may}`);
}

/**
 * The read routes of team mode: the single-machine routes (src/http) over a TeamRepository, so
 * that every answer is built by the same code as over one home, plus `machine`.
 */
export async function teamReadRoutes(app: FastifyInstance, options: TeamReadOptions): Promise<void> {
  const { pool, memory, prices, maxScanFiles, streams, rateLimit, log, principalOf, corsOrigins, replayMax } = options;
  const index = new TeamIndex(pool);
  const repository = new TeamRepository({ pool, index, memory, limits: DEFAULT_READ_LIMITS, prices, maxScanFiles, log });
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || route === '/healthz' || route.startsWith('/push/')) return;
    checkRole(principalOf(request), route);
  });
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url !== USAGE_ROUTE || principalOf(request).role !== 'usage') return;
    if ((request.query as { groupBy?: string }).groupBy === 'session') {
      throw new HttpProblem('WRONG_ROLE', 'a usage token may not group by session: its keys are session ids');
    }
  });
  if (rateLimit !== null) await app.register(rateLimiting, { perMinute: rateLimit });
  await app.register(conversationRoutes, { repository });
  await app.register(searchRoutes, { repository });
  await app.register(usageRoutes, { repository });
  await app.register(exportRoutes, { repository });
  await app.register(teamHealthRoutes, { pool, index });
  const accessOf = (request: FastifyRequest) => ({ team: true, usageOnly: principalOf(request).role !== 'read' });
  await app.register(mcpRoutes, { repository, corsOrigins, accessOf });
  const feed = new TeamFeed(pool, {
    summaryOf: (machine, path) => repository.summaryOf(machine, path),
    pathSummary: (machine, path) => repository.pathSummary(machine, path),
    machines: () => index.machines(),
    names: (machine) => repository.namesOf(machine),
    pathsOf: async (machine, id) => (await index.byId(id, [machine])).map((row) => row.relPath),
    replayMax,
    log,
  });
  const follow = new TeamFollow({ pool, feed, limits: DEFAULT_READ_LIMITS, lines: memory.lines });
  // Event streams never end by themselves: ended before the close waits for responses.
  app.addHook('preClose', async () => streams.closeAll());
  app.addHook('onClose', async () => feed.close());
  await app.register(teamEventRoutes, { feed, streams });
  const live = { follow: (file: RolloutFile, start: FollowStart) => follow.follow(file, start) };
  await app.register(followRoutes, { repository: { findById: (id, machines) => repository.findById(id, machines), live }, streams });
}
