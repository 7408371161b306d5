import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Problem } from './schemas.js';
import { RATE_LIMIT_EXEMPT_ROUTES } from './rate-limit.js';

import pkg from '../../package.json' with { type: 'json' };

/** Documents the 429 of the optional rate limit on every route it covers, without touching the route's own schema. */
function withRateLimitResponse({ schema, url }: { schema: unknown; url: string }) {
  const base = (schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
  if (base.hide || RATE_LIMIT_EXEMPT_ROUTES.has(url)) return { schema: base, url };
  const response = {
    ...base.response,
    429: {
      description: 'RATE_LIMITED (only when the server runs with --rate-limit; see Retry-After)',
      headers: { 'retry-after': { type: 'integer', description: 'Seconds until the window resets' } },
      content: { 'application/problem+json': { schema: Problem } },
    },
  };
  return { schema: { ...base, response }, url };
}

/** OpenAPI 3.1 from the route schemas, served at /openapi.json, with Swagger UI at /docs. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
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
    transform: withRateLimitResponse as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
