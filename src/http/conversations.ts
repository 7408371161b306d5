import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionRepository } from '../rollout/repository.js';
import { byteStream } from './byte-stream.js';
import { appendVary } from './vary.js';
import { conversationJson } from './conversation-body.js';
import { pageBody, pageValidator } from './list-body.js';
import { negotiate } from './negotiate.js';
import { chosenMachine } from './filter-schemas.js';
import { requestLease } from './request-lease.js';
import { HttpProblem } from './problem.js';
import {
  ConversationDocument,
  ConversationsPage,
  GetQuery,
  IdParams,
  LIST_DEFAULTS,
  ListQuery,
  NotModified,
  problemResponses,
} from './schemas.js';
import { NDJSON, sendRolloutBytes } from './send-rollout.js';

const JSON_TYPE = 'application/json';

export interface ConversationRoutesOptions {
  repository: SessionRepository;
}

export const conversationRoutes: FastifyPluginAsyncTypebox<ConversationRoutesOptions> = async (app, { repository }) => {
  app.get(
    '/conversations',
    {
      schema: {
        summary: 'List sessions, newest first, one keyset page at a time',
        tags: ['conversations'],
        querystring: ListQuery,
        response: {
          200: ConversationsPage,
          ...NotModified,
          ...problemResponses('INVALID_CURSOR', 'INVALID_QUERY', 'SCAN_FAILED', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const query = { ...LIST_DEFAULTS, ...request.query };
      // The body is built here (records spliced in as the files' own JSON text), not by the
      // schema serialiser: the 200 schema above still describes it exactly. A request takes its
      // share of the memory budget only when it builds (not for a 304 or a cached body).
      return reply.cachedJson(repository.freshness(true), async () => {
        const lease = await requestLease(repository, request, reply, 'list', query.limit);
        const page = await repository.listPage(query, request.log, lease);
        const body = pageBody(page, (origin) => repository.openRecords(origin));
        // Records too long to hold stay in their files and are copied from there: not cached.
        const validator = pageValidator(page);
        return Buffer.isBuffer(body) ? { body, validator } : { body: byteStream(body, () => {}), validator };
      });
    },
  );

  app.get(
    '/conversations/:id',
    {
      schema: {
        summary: 'One whole session: JSON (summary, records, invalid lines) or the raw NDJSON bytes',
        description:
          'Content negotiation: `?format=` wins over `Accept`. `application/x-ndjson` streams the file bytes exactly ' +
          '(Range, ETag, Last-Modified); `application/json` streams `{conversation, records, invalidLines}`.',
        tags: ['conversations'],
        params: IdParams,
        querystring: GetQuery,
        response: {
          200: {
            description: 'The session',
            content: {
              [JSON_TYPE]: { schema: ConversationDocument },
              [NDJSON]: { schema: { type: 'string', description: 'The rollout file, byte for byte' } },
            },
          },
          206: {
            description: 'A byte range of the rollout file (NDJSON only)',
            content: { [NDJSON]: { schema: { type: 'string' } } },
          },
          304: { description: 'Not modified (If-None-Match / If-Modified-Since, NDJSON only)', type: 'null' },
          ...problemResponses(
            'INVALID_ID',
            'INVALID_QUERY',
            'NOT_FOUND',
            'NOT_ACCEPTABLE',
            'AMBIGUOUS_ID',
            'RANGE_NOT_SATISFIABLE',
            'SCAN_FAILED',
            'SERVICE_UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format;
      const type = format === undefined ? negotiate(request.headers.accept, [JSON_TYPE, NDJSON]) : format === 'ndjson' ? NDJSON : JSON_TYPE;
      if (type === null) {
        throw new HttpProblem('NOT_ACCEPTABLE', `this resource is available as ${JSON_TYPE} or ${NDJSON}`);
      }
      const file = await repository.findById(request.params.id, chosenMachine(request.query));
      // Appended, never set: another Vary (Origin, from CORS) must survive.
      appendVary(reply, 'Accept');
      reply.header('cache-control', 'no-cache, private');
      if (type === NDJSON) return sendRolloutBytes(request, reply, repository, file);
      await requestLease(repository, request, reply, 'conversation');
      const conversation = await repository.openConversation(file, request.log);
      const body = byteStream(conversationJson(conversation), () => conversation.close());
      // The typed reply only knows the schema's object shape; a stream of that same JSON is sent instead.
      return reply.type(`${JSON_TYPE}; charset=utf-8`).send(body as never);
    },
  );
};
