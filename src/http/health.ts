import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RolloutRepository } from '../rollout/repository.js';

const Status = Type.Object({ status: Type.String() });

const IndexProgress = Type.Object(
  {
    state: Type.Enum(['disabled', 'building', 'ready', 'failed']),
    complete: Type.Boolean({ description: 'Filters, sort=updated and lookups use the index only once it is complete' }),
    filesInIndex: Type.Integer({ minimum: 0 }),
    filesCheckedThisPass: Type.Integer({ minimum: 0 }),
    lastPassMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Duration of the last full pass' }),
  },
  { description: 'Metadata index progress' },
);

const Readiness = Type.Object({ status: Type.String(), index: IndexProgress });

export const healthRoutes: FastifyPluginAsyncTypebox<{ repository: RolloutRepository }> = async (app, { repository }) => {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: the process is up (no auth)', tags: ['operations'], response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the Codex home can be read; also reports the metadata index progress',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const index = repository.indexProgress();
      if (await repository.isReadable()) return { status: 'ready', index };
      return reply.code(503).send({ status: 'codex home not readable', index });
    },
  );
};
