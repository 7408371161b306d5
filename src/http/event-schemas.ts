import { Type, type TSchema } from 'typebox';
import { pattern } from './param-detail.js';
import { machineChoice } from './filter-schemas.js';
import { ConversationSummary, ListQuery } from './schemas.js';

/** A decimal id or offset without leading zeros; at most 16 digits (a safe integer). */
const DECIMAL = pattern('^(0|[1-9][0-9]{0,15})$', 'an event id: a decimal number without leading zeros');

export const EventsQuery = Type.Object(
  {
    cwd: ListQuery.properties.cwd,
    source: ListQuery.properties.source,
    provider: ListQuery.properties.provider,
    agent: ListQuery.properties.agent,
    archived: ListQuery.properties.archived,
    machine: ListQuery.properties.machine,
  },
  { additionalProperties: false },
);

export const FollowQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        pattern: pattern('^(start|end|0|[1-9][0-9]{0,15})$', 'start, end or a byte offset (a decimal number without leading zeros)'),
        default: 'end',
        description:
          'start: from the first line; end: after the last complete line (a line being written is sent once it is complete); ' +
          'a byte offset: from there (it must be the start of a line within the file). Last-Event-ID wins over it.',
      }),
    ),
    ...machineChoice,
  },
  { additionalProperties: false },
);

export const lastEventIdHeaders = (description: string) =>
  Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: DECIMAL, description })) });

const event = (name: string, description: string, data: TSchema) =>
  ({ ...data, title: `event: ${name}`, description }) as TSchema;

const reason = (values: string[]) => Type.Object({ reason: Type.Enum(values) });

/** OpenAPI's view of an event stream: the schema of each event's `data`, titled with its `event:` name. */
const stream = (description: string, events: TSchema[]) => ({
  description,
  content: { 'text/event-stream': { schema: { type: 'string', description, 'x-events': events } } },
});

export const ChangeStream = stream(
  'Server-sent events, one per change of the tree: `event: session`, `id: <increasing integer>`, ' +
    '`data: {"change", "session"}`. A comment line (`: keep-alive`) every 15 s. A first frame with only ' +
    '`id:` tells a new client where it starts, so that a reconnect (Last-Event-ID) misses nothing.',
  [
    event(
      'session',
      'A session was created, updated (appended to), removed, archived, unarchived or renamed (its user-set name changed). ' +
        '`session` is its summary as in the list (for a removed session: the last one read, or what its file name says).',
      Type.Object({
        change: Type.Enum(['created', 'updated', 'removed', 'archived', 'unarchived', 'renamed']),
        session: ConversationSummary,
      }),
    ),
    event(
      'reset',
      'The server cannot say what changed since Last-Event-ID (older than its log of 10,000 changes, from an earlier ' +
        'process, or too many changes at once): fetch the list again. Its `id` is where the stream goes on from.',
      reason(['expired', 'overflow']),
    ),
  ],
);

export const FollowStream = stream(
  'Server-sent events following one session file like `tail -f`: `event: record`, `id: <byte offset just past the ' +
    'line>`, `data: <the line\'s own JSON text>` for every complete line that is a JSON object (other lines are skipped). ' +
    'A comment line every 15 s. A first frame with only `id:` gives the start offset.',
  [
    event('record', 'One record of the file, exactly as written.', Type.Object({}, { additionalProperties: true })),
    event(
      'reset',
      'The file was truncated below the offset, or replaced: the stream starts over from offset 0 (`id: 0`).',
      reason(['truncated', 'replaced']),
    ),
    event(
      'gone',
      'The session was archived, unarchived or removed; `path` is where it went (null when removed). The stream ends.',
      Type.Object({ reason: Type.Enum(['archived', 'unarchived', 'removed']), path: Type.Union([Type.String(), Type.Null()]) }),
    ),
  ],
);
