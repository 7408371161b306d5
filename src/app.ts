import compress from '@fastify/compress';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isLoopbackHost, type Config } from './config.js';
import { RolloutRepository } from './rollout/repository.js';
import { MultiRepository } from './rollout/multi-repository.js';
import { sourceFor } from './rollout/sources/registry.js';
import type { RolloutLogger } from './rollout/types.js';
import { MemoryBudget } from './rollout/reading/byte-budget.js';
import { sqliteIndex } from './rollout/index/sqlite/backend.js';
import { PassTurns } from './rollout/index/give-way.js';
import { responseCaching } from './http/caching.js';
import { PriceBook } from './rollout/usage/pricing.js';
import { conversationRoutes } from './http/conversations.js';
import { searchRoutes } from './http/search.js';
import { dashboard } from './http/dashboard.js';
import { eventRoutes } from './http/events.js';
import { StreamRegistry } from './http/sse.js';
import { apiDocs } from './http/docs.js';
import { answerNodeRequests, clientErrorHandler, errorHandling, frameworkErrorHandler } from './http/error-handler.js';
import { enforceIdleTimeout } from './http/idle-sockets.js';
import { HOME_PROBLEMS, SOURCE_PROBLEMS, healthRoutes } from './http/health.js';
import { queryIntegers } from './http/query-integers.js';
import { rateLimiting } from './http/rate-limit.js';
import { security } from './http/security.js';
import { shutdown } from './http/shutdown.js';
import { requestsFirst } from './http/requests-first.js';
import { RequestLog } from './http/request-log.js';
import { lazySchemaCompilers } from './http/lazy-schemas.js';
import { usageRoutes } from './http/usage.js';
import type { SearchMeter } from './rollout/search/search-work.js';
import { exportRoutes } from './http/export.js';
import { mcpRoutes } from './http/mcp.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The open event streams (how many, how much waits for slow clients): for tests and diagnostics. */
    eventStreams: StreamRegistry;
    /** The memory budget (how much is held, by how many clients): for tests and diagnostics. */
    memoryBudget: MemoryBudget;
    /** The work search requests do (SearchMeter): for tests that an abandoned search stops, and diagnostics. */
    searchMeter: SearchMeter;
  }
}

export interface BuildOptions {
  /** A ready-made pino logger (tests); otherwise one is made from `config.logLevel`. */
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  /** Where the logger made from the configuration writes (default stdout); tests capture lines. */
  logStream?: DestinationStream;
  /** The built dashboard's directory (default: dist/web); null serves none. */
  webRoot?: string | null;
}

/** Fastify's default serialisers plus redaction: tokens and cookies never reach a log line. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  'config.token',
];

/** Bytes of request body read at most: the API is read-only and takes none. */
const MAX_REQUEST_BODY_BYTES = 16 * 1024;

/** The connection-check period of Node's HTTP server: how late past its limit a slow client is cut off. */
function checkingInterval(headersMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(headersMs / 4)));
}

/**
 * The index file of a source: the configured one for the first source served, and beside it
 * one per other source (`index.sqlite` → `index.claude.sqlite`): a SQLite index file is bound to
 * one home (docs/claude.md, "Serving").
 */
export function indexPathOf(indexPath: string, agent: string, first: boolean): string {
  if (first) return indexPath;
  const dot = indexPath.lastIndexOf('.');
  const slash = indexPath.lastIndexOf('/');
  return dot > slash + 1 ? `${indexPath.slice(0, dot)}.${agent}${indexPath.slice(dot)}` : `${indexPath}.${agent}`;
}

/**
 * The repository a configuration describes: the HTTP service and `codex-sessions mcp` (stdio) both
 * serve one. One RolloutRepository per served agent (`--agents`; Claude only with a Claude home),
 * behind a MultiRepository; they share the memory budget and the prices, and their indexes build
 * one at a time (PassTurns: two builds at once held twice the memory).
 */
export function createRepository(
  config: Config,
  log: RolloutLogger,
  memory = new MemoryBudget(config.memoryBudgetBytes, config.memoryWaitMs),
): MultiRepository {
  const prices = new PriceBook(config.pricing);
  const turns = new PassTurns();
  const homes = config.agents.flatMap((agent) => {
    const home = agent === 'codex' ? config.codexHome : config.claudeHome;
    const source = sourceFor(agent);
    return home === null || source === null ? [] : [{ source, home }];
  });
  const parts = homes.map(
    ({ source, home }, i) =>
      new RolloutRepository({
        codexHome: home,
        source,
        maxScanFiles: config.maxScanFiles,
        log,
        index: config.indexPath === null ? null : sqliteIndex({ path: indexPathOf(config.indexPath, source.agent, i === 0), turns }),
        memory,
        followPollMs: config.live.followPollMs,
        prices,
        searchBudgetChars: config.searchBudgetChars,
      }),
  );
  return new MultiRepository(parts);
}

/** Cross-origin reads from the --cors-origin origins (none by default), in either mode. */
async function allowOrigins(app: FastifyInstance, config: Config): Promise<void> {
  if (config.corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: config.corsOrigins,
    methods: ['GET', 'HEAD'],
    allowedHeaders: ['Authorization', 'Accept', 'Range', 'If-None-Match', 'If-Modified-Since', 'Last-Event-ID', 'Cache-Control'],
    exposedHeaders: ['ETag', 'Last-Modified', 'Content-Range', 'Accept-Ranges', 'Content-Length', 'Content-Disposition', 'X-Redactions'],
    maxAge: 600,
  });
}

/** The whole service as a Fastify instance, not listening: cli.ts listens, tests inject. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: { level: config.logLevel, redact: REDACT, ...(options.logStream ? { stream: options.logStream } : {}) } }),
    // Slow-client defence: a request head must arrive within headersMs (Node enforces it,
    // checking every connectionsCheckingInterval), a whole request within requestMs.
    http: {
      headersTimeout: config.timeouts.headersMs,
      connectionsCheckingInterval: checkingInterval(config.timeouts.headersMs),
      // Node answers an HTTP/1.1 request without Host with a bare 400: the Host check
      // (security.ts) answers it as problem+json instead.
      requireHostHeader: false,
    },
    requestTimeout: config.timeouts.requestMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    connectionTimeout: config.timeouts.idleSocketMs,
    logController: new RequestLog(),
    routerOptions: { maxParamLength: 512 },
    // No route takes a request body: a large one is refused (413) before it is buffered.
    bodyLimit: MAX_REQUEST_BODY_BYTES,
    // Requests that arrive while shutting down get a problem+json 503 (see the onRequest hook below).
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler as FastifyServerOptions['frameworkErrors'],
    clientErrorHandler,
    schemaController: { compilersFactory: lazySchemaCompilers() },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // First of the close's hooks: a connection that has not sent a request does not hold the close.
  const closeUnused = enforceIdleTimeout(app.server, config.timeouts.idleSocketMs);
  app.addHook('preClose', async () => closeUnused());
  answerNodeRequests(app.server);
  if (config.databaseUrl !== null) {
    // Team mode (src/team): the sessions come from PostgreSQL, not from a home.
    await app.register(errorHandling);
    await app.register(compress, { encodings: ['br', 'gzip'] });
    await app.register(responseCaching, { maxBytes: config.responseCacheMb * 2 ** 20, maxEntries: 256 });
    await app.register(queryIntegers);
    await allowOrigins(app, config);
    // Loaded only here: a single-machine start does not pay for the PostgreSQL client.
    const { teamPlugin } = await import('./team/plugin.js');
    await app.register(teamPlugin, {
      databaseUrl: config.databaseUrl,
      loopbackOnly: isLoopbackHost(config.host),
      bodyBudgetBytes: Math.floor(config.memoryBudgetBytes / 2),
      bodyWaitMs: config.memoryWaitMs,
      prices: new PriceBook(config.pricing),
      maxScanFiles: config.maxScanFiles,
      streams: new StreamRegistry(config.maxStreams, config.live),
      webRoot: options.webRoot,
      rateLimit: config.rateLimit,
      corsOrigins: config.corsOrigins,
      replayMax: config.live.replayMax,
    });
    return app;
  }

  const memory = new MemoryBudget(config.memoryBudgetBytes, config.memoryWaitMs);
  app.decorate('memoryBudget', memory);
  const repository = createRepository(config, app.log, memory);
  const streams = new StreamRegistry(config.maxStreams, config.live);
  app.decorate('eventStreams', streams);
  app.decorate('searchMeter', repository.searchMeter);
  // The index fills in the background: serving starts at once, never waiting for a build.
  app.addHook('onReady', async () => {
    repository.start();
    // An empty list is all a wrong home shows: say why once, where the operator looks first.
    for (const { agent, home, path } of await repository.sourceStates()) {
      if (home === 'ready') continue;
      if (agent === 'codex') app.log.warn({ codexHome: path, home }, HOME_PROBLEMS[home]);
      else app.log.info({ agent, home: path, state: home }, `${agent} sessions not served: ${SOURCE_PROBLEMS[home]}`);
    }
  });
  app.addHook('onClose', async () => repository.close());

  // Every part is a Fastify plugin, registered in this order: the hooks run in it (shutdown, then
  // the Host and token checks, then the rate limit, then query integers).
  await app.register(shutdown, { streams, retryAfterS: config.live.retryAfterSeconds });
  // Before the other hooks: a request they refuse is counted, and let go, too.
  await app.register(requestsFirst);
  await app.register(errorHandling);
  // JSON is compressed (br, gzip) when the client accepts it; never NDJSON (byte ranges describe
  // the file) or event streams: @fastify/compress's default types leave both out.
  await app.register(compress, { encodings: ['br', 'gzip'] });
  await app.register(responseCaching, { maxBytes: config.responseCacheMb * 2 ** 20, maxEntries: 256 });
  await allowOrigins(app, config);
  await app.register(security, { token: config.token, loopbackOnly: isLoopbackHost(config.host) });
  if (config.rateLimit !== null) await app.register(rateLimiting, { perMinute: config.rateLimit });
  await app.register(queryIntegers);
  await app.register(apiDocs);
  await app.register(dashboard, { webRoot: options.webRoot });
  await app.register(healthRoutes, { repository });
  await app.register(conversationRoutes, { repository });
  await app.register(searchRoutes, { repository });
  await app.register(eventRoutes, { repository, streams });
  await app.register(usageRoutes, { repository });
  await app.register(exportRoutes, { repository });
  await app.register(mcpRoutes, { repository, corsOrigins: config.corsOrigins });
  return app;
}
