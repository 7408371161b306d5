import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionRepository } from '../rollout/repository.js';
import { IdParams, NotModified, problemResponses } from './schemas.js';
import { clientGone, requestLease } from './request-lease.js';
import { schemaBody } from './caching.js';
import { chosenMachine } from './filter-schemas.js';
import { SessionUsageDocument, SessionUsageQuery, USAGE_DEFAULTS, UsageQuery, UsageReport } from './usage-schemas.js';

export const usageRoutes: FastifyPluginAsyncTypebox<{ repository: SessionRepository }> = async (app, { repository }) => {
  app.get(
    '/conversations/:id/usage',
    {
      schema: {
        summary: "One session's token usage and cost: totals, per model, per turn, context window and rate limits",
        description:
          'Counted by the rules of docs/usage.md, from the session file, with the same answer as ' +
          'the list and GET /usage: a response the file copied from another session (the same thread_id/response_id) ' +
          'is counted in that session, or, when no file has that id, in the oldest file that carries it (finding it ' +
          'reads the older files: 503 SERVICE_UNAVAILABLE when they are more than --max-scan-files).',
        tags: ['usage'],
        params: IdParams,
        querystring: SessionUsageQuery,
        response: {
          200: SessionUsageDocument,
          ...problemResponses('INVALID_ID', 'INVALID_QUERY', 'NOT_FOUND', 'AMBIGUOUS_ID', 'SCAN_FAILED', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const file = await repository.findById(request.params.id, chosenMachine(request.query));
      // The read's working set and a count's first bytes, then (inside) what the count holds as it grows.
      const lease = await requestLease(repository, request, reply, 'usage');
      return repository.sessionUsage(file, lease, clientGone(request, reply));
    },
  );

  app.get(
    '/usage',
    {
      schema: {
        summary: 'Token usage and cost of the whole home, per day, week, month, model, project, source, provider or session',
        description:
          'Counted by the rules of docs/usage.md, each response in the session it belongs to. ' +
          'Summed in the index once it has read every file; before that, by reading the files when there are at most ' +
          '--max-scan-files of them, else 503 SERVICE_UNAVAILABLE with Retry-After until the index is complete.',
        tags: ['usage'],
        querystring: UsageQuery,
        response: {
          200: UsageReport,
          ...NotModified,
          ...problemResponses('INVALID_QUERY', 'SCAN_FAILED', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const query = { ...USAGE_DEFAULTS, ...request.query };
      const signal = clientGone(request, reply);
      return reply.cachedJson(repository.freshness(true), async () => schemaBody(reply, await repository.usage(query, signal)));
    },
  );
};
