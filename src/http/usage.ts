import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RolloutRepository } from '../rollout/repository.js';
import { IdParams, problemResponses } from './schemas.js';
import { NoQuery, SessionUsageDocument } from './usage-schemas.js';

export const usageRoutes: FastifyPluginAsyncTypebox<{ repository: RolloutRepository }> = async (app, { repository }) => {
  app.get(
    '/conversations/:id/usage',
    {
      schema: {
        summary: "One session's token usage and cost: totals, per model, per turn, context window and rate limits",
        description:
          'Counted by the rules of the README ("Token usage and cost"), from the session file. A response that the ' +
          'file copied from another existing session (the same thread_id/response_id) is counted in that session, not here.',
        tags: ['usage'],
        params: IdParams,
        querystring: NoQuery,
        response: {
          200: SessionUsageDocument,
          ...problemResponses('INVALID_ID', 'INVALID_QUERY', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'AMBIGUOUS_ID', 'SCAN_FAILED'),
        },
      },
    },
    async (request) => repository.sessionUsage(await repository.findById(request.params.id)),
  );
};
