import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';

// Both src/http and dist/http sit two levels below the package root.
const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

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
      tags: [{ name: 'conversations' }, { name: 'operations' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
