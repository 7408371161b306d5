import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RolloutRepository } from '../rollout/repository.js';

const Status = Type.Object({ status: Type.String() });

const IndexProgress = Type.Object(
  {
    state: Type.Enum(['disabled', 'building', 'ready', 'failed', 'rebuilding', 'waiting'], {
      description:
        'rebuilding: the index file was found corrupt while running; waiting: another process holds its lock. ' +
        'Queries scan until it is ready again',
    }),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the index is failed, rebuilding or waiting' }),
    complete: Type.Boolean({ description: 'Filters, sort=updated and lookups use the index only once it is complete' }),
    filesInIndex: Type.Integer({ minimum: 0 }),
    filesCheckedThisPass: Type.Integer({ minimum: 0 }),
    lastPassMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Duration of the last full pass' }),
  },
  { description: 'Metadata index progress' },
);

const Readiness = Type.Object({
  status: Type.String({ description: '`ready`, `degraded` (serving, without what `degraded` lists), or why it is not ready' }),
  degraded: Type.Array(Type.String(), {
    description: 'What the service is doing without: unreadable directories (skipped), session_index.jsonl, the index',
  }),
  index: IndexProgress,
});

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
        summary: 'Readiness: the Codex home can be read and the index is not being rebuilt; also reports what is degraded',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const index = repository.indexProgress();
      const degraded = repository.degraded.list();
      if (!(await repository.isReadable())) return reply.code(503).send({ status: 'codex home not readable', degraded, index });
      // A corrupt index is rebuilt in the background while queries scan: answers stay right but slower.
      if (index.state === 'rebuilding' || index.state === 'waiting') {
        return reply.code(503).send({ status: `index ${index.state}: ${index.reason}`, degraded, index });
      }
      return { status: degraded.length === 0 ? 'ready' : 'degraded', degraded, index };
    },
  );
};
