import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemCode } from './problem.js';
import { Problem } from './schemas.js';
import { RATE_LIMIT_EXEMPT_ROUTES } from './rate-limit.js';
import { UNAUTHENTICATED_ROUTES } from './security.js';

import pkg from '../../package.json' with { type: 'json' };

const PROBLEM_JSON = 'application/problem+json';

/**
 * What any route can answer whatever its handler does, besides what its schema declares: a
 * malformed request (400), a Host not allowed (403), no or a wrong token (401, with --token), a
 * request or header block too slow or too large (408, 431), the rate limit (429, with
 * --rate-limit) and a shutdown in progress (503).
 */
function commonCodes(url: string): ProblemCode[] {
  const codes: ProblemCode[] = ['INVALID_QUERY', 'FORBIDDEN', 'REQUEST_TIMEOUT', 'HEADERS_TOO_LARGE', 'SERVICE_UNAVAILABLE'];
  if (!UNAUTHENTICATED_ROUTES.has(url)) codes.push('UNAUTHORIZED');
  if (!RATE_LIMIT_EXEMPT_ROUTES.has(url)) codes.push('RATE_LIMITED');
  return codes;
}

/** Notes on the codes whose status means more than the code says. */
const NOTES: Partial<Record<ProblemCode, string>> = {
  RATE_LIMITED: 'RATE_LIMITED only when the server runs with --rate-limit',
  UNAUTHORIZED: 'UNAUTHORIZED only when the server runs with a token',
};

const RETRY_AFTER = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } };

interface ResponseDoc {
  description?: string;
  content?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}

/** `existing` (the route's own answer for this status, if any) with the problem codes `codes` added. */
function withCodes(existing: ResponseDoc | undefined, codes: ProblemCode[], status: number): ResponseDoc {
  const ownProblem = existing?.content?.[PROBLEM_JSON] !== undefined;
  const named = ownProblem ? (existing?.description ?? '').split(', ').filter((c) => c in ProblemCode) : [];
  const all = [...new Set([...named, ...codes])];
  const notes = all.flatMap((c) => NOTES[c as ProblemCode] ?? []);
  const problems = `${all.join(', ')}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  const headers = status === 429 || status === 503 ? { ...existing?.headers, ...RETRY_AFTER } : existing?.headers;
  if (existing === undefined || ownProblem) {
    return { ...existing, description: problems, ...(headers ? { headers } : {}), content: { [PROBLEM_JSON]: { schema: Problem } } };
  }
  // The route's own body for this status (/readyz's 503 Readiness), or a problem.
  const own = existing.content ?? { 'application/json': { schema: existing } };
  const description = `${existing.description ?? 'Its own document'}; or a problem: ${problems}`;
  return { description, ...(headers ? { headers } : {}), content: { ...own, [PROBLEM_JSON]: { schema: Problem } } };
}

/** Documents, on every route, every status it can answer: its own, and those any route can (commonCodes). */
function withCommonResponses({ schema, url }: { schema: unknown; url: string }) {
  const base = (schema ?? {}) as { hide?: boolean; response?: Record<string, ResponseDoc> };
  if (base.hide) return { schema: base, url };
  const response: Record<string, ResponseDoc> = { ...base.response };
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of commonCodes(url)) byStatus.set(ProblemCode[code], [...(byStatus.get(ProblemCode[code]) ?? []), code]);
  for (const [status, codes] of byStatus) response[status] = withCodes(response[status], codes, status);
  return { schema: { ...base, response }, url };
}

/** OpenAPI 3.1 from the route schemas, served at /openapi.json, with Swagger UI at /docs. */
export const apiDocs = fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'codex-sessions',
        version: pkg.version,
        description:
          "Read-only REST API over coding agents' session history: the OpenAI Codex CLI's rollout files and " +
          "Claude Code's transcripts. " +
          'Errors are application/problem+json (RFC 9457) with a `code` from a fixed enum.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required when the server has a token' } },
      },
      security: [{ bearer: [] }],
      tags: [{ name: 'conversations' }, { name: 'search' }, { name: 'usage' }, { name: 'events' }, { name: 'operations' }],
    },
    transform: withCommonResponses as never,
  });
  swaggerUiOnDemand(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}, { name: 'api-docs' });

/** A path that climbs out of a directory: refused (403) by the UI's file server, whose copy of a request would not carry it. */
const UP_PATH = /(?:^|[\\/])\.\.(?:[\\/]|$)/;

/** Headers of the UI's answer that belong to its own connection, not to the one it is relayed on. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * Swagger UI at /docs, loaded on its first request: @fastify/swagger-ui brings @fastify/static,
 * yaml and glob, a fifth of the start-up to listening otherwise. It runs in an instance of its
 * own (Fastify takes no routes once listening) that this one's /docs routes relay to, so the
 * Host and token checks, the rate limit, compression and problem+json errors still apply.
 */
function swaggerUiOnDemand(app: FastifyInstance): void {
  let ui: Promise<FastifyInstance> | null = null;
  const build = async (): Promise<FastifyInstance> => {
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    const inner = Fastify({ logger: false });
    // The UI serves /docs/json and /docs/yaml from the document of this instance's routes.
    await inner.register(fp(async (i) => {
      i.decorate('swagger', ((opts?: { yaml?: boolean }) => app.swagger(opts as never)) as FastifyInstance['swagger']);
    }, { name: '@fastify/swagger' }));
    await inner.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
    await inner.ready();
    return inner;
  };
  const relay = async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= build().catch((err: unknown) => {
      ui = null;
      throw err;
    });
    // The relayed request's URL is normalised ('..' resolved): the file server's own refusal is made here.
    const file = (request.params as { '*'?: string })['*'] ?? '';
    if (file.startsWith('static/') && UP_PATH.test(file)) throw Object.assign(new Error('Forbidden'), { statusCode: 403 });
    const res = await (await ui).inject({ method: 'GET', url: request.url, headers: request.headers });
    if (res.statusCode === 404) return reply.callNotFound();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) reply.header(name, value);
    }
    reply.code(res.statusCode);
    // An empty answer (a redirect, a 304) stays without a body and so without a content type.
    return res.rawPayload.length === 0 ? reply.send() : reply.send(res.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, relay);
  app.get('/docs/*', { schema: { hide: true } }, relay);
}
