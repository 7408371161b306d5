import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
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
          'Read-only REST API over the OpenAI Codex CLI session history (rollout files). ' +
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
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}, { name: 'api-docs' });
