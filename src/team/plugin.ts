import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from '../http/problem.js';
import { dashboard } from '../http/dashboard.js';
import { UNAUTHENTICATED_ROUTES, bearerToken, security } from '../http/security.js';
import type { StreamRegistry } from '../http/sse.js';
import { BytePool, MemoryBudget } from '../rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS } from '../rollout/reading/session-reader.js';
import { migrate } from './db/migrations.js';
import { openPool } from './db/pool.js';
import { FileStore } from './ingest/file-store.js';
import { ingestRoutes } from './ingest/routes.js';
import type { PriceBook } from '../rollout/usage/pricing.js';
import { PushedUpkeep } from './read/pushed-upkeep.js';
import { teamReadRoutes } from './read/read-routes.js';
import { authenticate, type Principal } from './tokens.js';

export interface TeamOptions {
  databaseUrl: string;
  /** On a loopback bind, only loopback Host headers are answered (as in single-machine mode). */
  loopbackOnly: boolean;
  /** Bytes of push bodies held at once across requests. */
  bodyBudgetBytes: number;
  bodyWaitMs: number;
  prices: PriceBook;
  maxScanFiles: number;
  streams: StreamRegistry;
  rateLimit: number | null;
  /** Browser origins allowed besides the server's own (--cors-origin). */
  corsOrigins: string[];
  /** Changed files replayed at most to a reconnecting /events client (`live.replayMax`). */
  replayMax: number;
  /** The built dashboard's directory (default: dist/web); null serves none. */
  webRoot?: string | null | undefined;
}

const principals = new WeakMap<FastifyRequest, Principal>();

function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (principal === undefined) throw new HttpProblem('UNAUTHORIZED', 'missing bearer token');
  return principal;
}

/**
 * Team mode (docs/team.md): the database is migrated (or refused, when newer) before the server
 * is built, every request carries a token from the database, and the push agent's endpoints are
 * served, every pushed file is indexed, and the read routes answer from the database by role.
 */
export async function teamPlugin(app: FastifyInstance, options: TeamOptions): Promise<void> {
  const pool = openPool(options.databaseUrl, { onIdleError: (err) => app.log.warn({ err }, 'a database connection failed') });
  try {
    const { from, to } = await migrate(pool);
    if (from !== to) app.log.info({ from, to }, 'database schema migrated');
  } catch (err) {
    await pool.end();
    throw err;
  }
  // The index of pushed homes is kept by a background catch-up (docs/team.md, "Indexing pushed files").
  const memory = new MemoryBudget(options.bodyBudgetBytes, options.bodyWaitMs);
  const upkeep = new PushedUpkeep({
    pool,
    env: async () => ({ realRoot: '/nonexistent', limits: DEFAULT_READ_LIMITS, budget: memory, waitMs: Number.POSITIVE_INFINITY }),
    log: app.log,
  });
  upkeep.start();
  app.addHook('onClose', async () => {
    await upkeep.close();
    await pool.end();
  });
  // A push that changed something is indexed at once on this instance; the others catch up within a second.
  app.addHook('onResponse', async (request, reply) => {
    const url = request.routeOptions.url;
    if (request.method === 'GET' || reply.statusCode >= 300 || url === undefined || !url.startsWith('/push/')) return;
    if (request.method !== 'DELETE') return upkeep.nudge();
    const { machine, '*': path } = request.params as { machine: string; '*': string };
    void upkeep.forget(machine, path).catch((err: unknown) => app.log.warn({ err }, 'dropping a deleted file from the index failed'));
  });

  await app.register(security, { token: null, loopbackOnly: options.loopbackOnly });
  app.get('/healthz', async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });
  app.addHook('onRequest', async (request) => {
    // The dashboard's files hold no session data: the page asks for a token when the API answers 401.
    const url = request.routeOptions.url;
    if (url === undefined || UNAUTHENTICATED_ROUTES.has(url)) return;
    const presented = bearerToken(request);
    const principal = presented === null ? null : await authenticate(pool, presented);
    if (principal === null) {
      throw new HttpProblem('UNAUTHORIZED', presented === null ? 'missing bearer token' : 'unknown or revoked token', {
        'www-authenticate': `Bearer realm="codex-sessions"${presented === null ? '' : ', error="invalid_token"'}`,
      });
    }
    principals.set(request, principal);
  });
  await app.register(dashboard, { webRoot: options.webRoot });
  await app.register(ingestRoutes, {
    files: new FileStore(pool),
    bodies: new BytePool(options.bodyBudgetBytes, options.bodyWaitMs),
    principalOf,
  });
  // Reads share the upkeep's budget (the other half of --memory-budget; push bodies have theirs).
  const { prices, maxScanFiles, streams, rateLimit, corsOrigins, replayMax } = options;
  const read = { pool, memory, prices, maxScanFiles, streams, rateLimit, corsOrigins, replayMax, log: app.log };
  await app.register(teamReadRoutes, { ...read, principalOf });
}
