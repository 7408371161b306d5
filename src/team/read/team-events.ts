import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChangeStream, EventsQuery, lastEventIdHeaders } from '../../http/event-schemas.js';
import { changeFrame } from '../../http/events.js';
import { problemResponses } from '../../http/schemas.js';
import { sseFrame, type StreamRegistry } from '../../http/sse.js';
import { parseFilter } from '../../rollout/listing/filters.js';
import type { TeamFeed } from './team-feed.js';

/**
 * `GET /events` of a team server: the single-machine stream and frames, fed by every instance's
 * pushes through LISTEN/NOTIFY (TeamFeed), with `machine` filters and a replay from the database.
 */
export const teamEventRoutes: FastifyPluginAsyncTypebox<{ feed: TeamFeed; streams: StreamRegistry }> = async (app, { feed, streams }) => {
  app.get(
    '/events',
    {
      exposeHeadRoute: false,
      schema: {
        summary: 'Server-sent events: one per change of a session pushed to any instance (team mode)',
        tags: ['events'],
        querystring: EventsQuery,
        headers: lastEventIdHeaders('The last event id the client saw: the changes after it are replayed first, or `reset`'),
        response: { 200: ChangeStream, ...problemResponses('INVALID_QUERY', 'SERVICE_UNAVAILABLE') },
      },
    },
    async (request, reply) => {
      const { cwd, source, provider, archived = 'false', machine } = request.query;
      const raw = request.headers['last-event-id'];
      const lastId = typeof raw === 'string' ? Number(raw) : null;
      streams.check();
      await feed.start();
      // A new client starts at the newest change, and is replayed from there like a reconnecting
      // one: a change committed before its subscription is in place is not lost.
      const since = lastId ?? (await feed.lastChangeId());
      const stream = streams.start(reply);
      if (lastId === null) stream.send(sseFrame({ id: since }));
      const sub = { filter: parseFilter({ cwd, source, provider }), archived, machines: machine };
      try {
        stream.onClose(await feed.subscribe(sub, since, (event) => stream.send(changeFrame(event))));
      } catch (err) {
        request.log.warn({ err }, 'replaying /events failed; ending its stream');
        stream.end();
      }
      return reply;
    },
  );
};
