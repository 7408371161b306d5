import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { parseFilter } from '../rollout/listing/filters.js';
import type { FeedEvent, FileFollower, FollowStart, SessionRepository } from '../rollout/repository.js';
import type { LiveSide } from '../rollout/multi-repository.js';
import { ChangeStream, EventsQuery, FollowQuery, FollowStream, lastEventIdHeaders } from './event-schemas.js';
import { summaryFields } from './list-body.js';
import { chosenMachine } from './filter-schemas.js';
import { problemResponses, IdParams } from './schemas.js';
import { HttpProblem } from './problem.js';
import { sseFrame, type SseStream, type StreamRegistry } from './sse.js';

export interface EventRoutesOptions {
  repository: Pick<SessionRepository, 'findById'> & { live: LiveSide };
  streams: StreamRegistry;
}

/** One frame per change, shared by every subscriber it goes to. */
const frames = new WeakMap<FeedEvent, Buffer>();

export function changeFrame(event: FeedEvent): Buffer {
  let frame = frames.get(event);
  if (frame === undefined) {
    const data =
      event.change === 'reset'
        ? JSON.stringify({ reason: event.reason })
        : `{"change":${JSON.stringify(event.change)},"session":${summaryFields(event.session)}}}`;
    frame = sseFrame({ event: event.change === 'reset' ? 'reset' : 'session', id: event.id, data });
    frames.set(event, frame);
  }
  return frame;
}

function lastEventId(request: FastifyRequest): number | null {
  const raw = request.headers['last-event-id'];
  return typeof raw === 'string' ? Number(raw) : null;
}

/** Sends the follower's events to the stream until either ends; the file is read only as fast as the client takes it. */
async function pump(follower: FileFollower, stream: SseStream, request: FastifyRequest): Promise<void> {
  stream.onClose(() => void follower.close());
  try {
    for await (const event of follower.events()) {
      if (event.kind === 'record') {
        if (!stream.send(sseFrame({ event: 'record', id: event.end, data: event.json }))) break;
        await stream.room();
      } else if (event.kind === 'reset') {
        stream.send(sseFrame({ event: 'reset', id: 0, data: JSON.stringify({ reason: event.reason }) }));
      } else {
        stream.send(sseFrame({ event: 'gone', data: JSON.stringify({ reason: event.reason, path: event.path }) }));
        break;
      }
      if (stream.closed) break;
    }
  } catch (err) {
    request.log.warn({ err }, 'following a session failed; ending its stream');
  } finally {
    stream.end();
    await follower.close();
  }
}

export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { repository, streams }) => {
  app.get(
    '/events',
    {
      exposeHeadRoute: false,
      schema: {
        summary: 'Server-sent events: one per change of a session in the tree',
        description:
          'Takes the list\'s cwd, source, provider and archived filters (archived defaults to false, as in the list; a ' +
          'session archived or unarchived out of the view is still announced). Last-Event-ID replays the missed changes.',
        tags: ['events'],
        querystring: EventsQuery,
        headers: lastEventIdHeaders('The last event id the client saw: the changes after it are sent first, or `reset`'),
        response: {
          200: ChangeStream,
          ...problemResponses('INVALID_QUERY', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const { cwd, source, provider, agent, archived = 'false', machine } = request.query;
      if (machine !== undefined) throw new HttpProblem('INVALID_QUERY', 'machine applies in team mode only (--database-url)');
      const sub = { filter: parseFilter({ cwd, source, provider }), archived, agent };
      const lastId = lastEventId(request);
      streams.check();
      await repository.live.watchTree(); // from the first frame on, every change is seen
      const stream = streams.start(reply);
      // A new client learns where it starts, so that its first reconnect misses nothing.
      if (lastId === null) stream.send(sseFrame({ id: repository.live.lastChangeId() }));
      stream.onClose(repository.live.subscribe(sub, lastId, (event) => stream.send(changeFrame(event))));
      return reply;
    },
  );
  await followRoutes(app, { repository, streams });
};

export interface FollowRoutesOptions {
  repository: Pick<SessionRepository, 'findById'> & { live: Pick<LiveSide, 'follow'> };
  streams: StreamRegistry;
}

/** `GET /conversations/:id/events`: one session followed like tail -f, over one home or (team mode) the database. */
export const followRoutes: FastifyPluginAsyncTypebox<FollowRoutesOptions> = async (app, { repository, streams }) => {
  app.get(
    '/conversations/:id/events',
    {
      exposeHeadRoute: false,
      schema: {
        summary: 'Server-sent events: follow one session as it is written, like tail -f',
        tags: ['events'],
        params: IdParams,
        querystring: FollowQuery,
        headers: lastEventIdHeaders('The byte offset of the last record the client saw (its event id): resumes exactly there'),
        response: {
          200: FollowStream,
          ...problemResponses(
            'INVALID_ID',
            'INVALID_QUERY',
            'NOT_FOUND',
            'AMBIGUOUS_ID',
            'SERVICE_UNAVAILABLE',
            'SCAN_FAILED',
          ),
        },
      },
    },
    async (request, reply) => {
      const resumeAt = lastEventId(request);
      const from = request.query.from ?? 'end';
      let start: FollowStart;
      if (resumeAt !== null) start = { from: 'offset', offset: resumeAt, resume: true };
      else if (from === 'start' || from === 'end') start = { from };
      else start = { from: 'offset', offset: Number(from), resume: false };
      streams.check(); // before the file is opened
      const file = await repository.findById(request.params.id, chosenMachine(request.query));
      const follower = await repository.live.follow(file, start);
      let stream: SseStream;
      try {
        stream = streams.start(reply);
      } catch (err) {
        await follower.close();
        throw err;
      }
      stream.send(sseFrame({ id: follower.startOffset }));
      void pump(follower, stream, request);
      return reply;
    },
  );
};
