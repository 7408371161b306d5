import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RolloutRepository } from '../rollout/repository.js';

const Status = Type.Object({ status: Type.String() });

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
        summary: 'Readiness: the Codex home can be read',
        tags: ['operations'],
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      if (await repository.isReadable()) return { status: 'ready' };
      return reply.code(503).send({ status: 'codex home not readable' });
    },
  );
};
