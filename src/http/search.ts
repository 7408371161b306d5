import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionRepository } from '../rollout/repository.js';
import { schemaBody } from './caching.js';
import { clientGone } from './request-lease.js';
import { chosenMachine } from './filter-schemas.js';
import {
  IdParams,
  LIST_DEFAULTS,
  NotModified,
  SEARCH_DEFAULTS,
  SearchPage,
  SearchQuery,
  SessionSearchPage,
  SessionSearchQuery,
  problemResponses,
} from './schemas.js';

export const searchRoutes: FastifyPluginAsyncTypebox<{ repository: SessionRepository }> = async (app, { repository }) => {
  app.get(
    '/search',
    {
      schema: {
        summary: 'Sessions whose text holds a phrase or words, newest first, with snippets',
        description:
          'Searches what the user typed and the assistant answered (scope=messages, without injected context), ' +
          'tool calls and outputs (scope=tools, each output up to its first 65,536 characters), or both plus reasoning ' +
          'summaries (scope=all). Keyset pages as in the list. Answers from the index once it is complete, by reading ' +
          'the files (within --max-scan-files) before: the same results either way.',
        tags: ['search'],
        querystring: SearchQuery,
        response: {
          200: SearchPage,
          ...NotModified,
          ...problemResponses('INVALID_CURSOR', 'INVALID_QUERY', 'SCAN_FAILED', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const query = { ...LIST_DEFAULTS, ...SEARCH_DEFAULTS, ...request.query };
      const signal = clientGone(request, reply);
      const page = async () => {
        const found = await repository.search(query, request.log, signal);
        // model: null where the source has none, as the list writes it (list-body.ts).
        return schemaBody(reply, { ...found, items: found.items.map((item) => ({ ...item, model: item.model ?? null })) });
      };
      return reply.cachedJson(repository.freshness(true), page);
    },
  );

  app.get(
    '/conversations/:id/search',
    {
      schema: {
        summary: 'The records of one session that hold a phrase or words, in file order, with line numbers',
        tags: ['search'],
        params: IdParams,
        querystring: SessionSearchQuery,
        response: {
          200: SessionSearchPage,
          ...NotModified,
          ...problemResponses(
            'INVALID_ID',
            'INVALID_CURSOR',
            'INVALID_QUERY',
            'NOT_FOUND',
            'AMBIGUOUS_ID',
            'SCAN_FAILED',
            'SERVICE_UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      const signal = clientGone(request, reply);
      return reply.cachedJson(repository.freshness(true), async () => {
        const file = await repository.findById(request.params.id, chosenMachine(request.query));
        return schemaBody(reply, await repository.searchSession(file, { ...SEARCH_DEFAULTS, ...request.query }, signal));
      });
    },
  );
};
