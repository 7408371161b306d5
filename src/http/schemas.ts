import { Type, type Static, type TSchema } from 'typebox';
import { SOURCE_VALUES } from '../rollout/listing/filters.js';
import { ProblemCode } from './problem.js';

/** `type: [T, "null"]`: serialises faster than anyOf and reads well in OpenAPI 3.1. */
export function Nullable<T extends TSchema>(schema: T, description?: string) {
  const { type } = schema as unknown as { type: string };
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'], ...(description ? { description } : {}) });
}

const JsonObject = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
  description: 'A raw record of the rollout file, exactly as written',
});

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'Session id: a UUID of any version, any case',
});

export const Git = Type.Object({
  branch: Nullable(Type.String()),
  commitHash: Nullable(Type.String()),
  repositoryUrl: Nullable(Type.String()),
});

const summaryProperties = {
  id: Type.String({ description: 'Session id (lower case)' }),
  path: Type.String({ description: 'File path relative to the Codex home' }),
  createdAt: Type.String({
    format: 'date-time',
    description: 'First session_meta timestamp (UTC); without one, the file-name time read as UTC',
  }),
  updatedAt: Type.String({ format: 'date-time', description: 'File modification time (UTC)' }),
  sizeBytes: Type.Integer({ minimum: 0 }),
  title: Nullable(Type.String(), 'First real user message; null when none was found within the title bound'),
  name: Nullable(Type.String(), 'User-set name from session_index.jsonl'),
  cwd: Nullable(Type.String()),
  source: Type.Enum(['cli', 'vscode', 'exec', 'mcp', 'subagent', 'custom', 'unknown']),
  originator: Nullable(Type.String()),
  cliVersion: Nullable(Type.String()),
  modelProvider: Type.String({ description: 'Model provider; "openai" when the file names none' }),
  git: Type.Unsafe<Static<typeof Git> | null>({ anyOf: [Git, { type: 'null' }] }),
  forkedFromId: Nullable(Type.String()),
  archived: Type.Boolean(),
};

export const ConversationSummary = Type.Object(summaryProperties);

export const ConversationItem = Type.Object({
  ...summaryProperties,
  head: Type.Array(JsonObject, { description: 'First `head` records, in file order' }),
  tail: Type.Array(JsonObject, { description: 'Last `tail` records, in file order' }),
});

export const ConversationsPage = Type.Object({
  items: Type.Array(ConversationItem),
  nextCursor: Nullable(Type.String(), 'Pass as `cursor` for the next page; null when no more items follow'),
  numScannedFiles: Type.Integer({ minimum: 0 }),
  reachedScanCap: Type.Boolean(),
});

export const ConversationDocument = Type.Object({
  conversation: ConversationSummary,
  records: Type.Array(JsonObject, { description: 'Every complete record, in file order' }),
  invalidLines: Type.Array(
    Type.Object({ line: Type.Integer({ minimum: 1 }), reason: Type.String() }),
    { description: 'Lines that are not JSON objects (1-based line numbers)' },
  ),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Enum(Object.keys(ProblemCode) as (keyof typeof ProblemCode)[]),
  },
  { description: 'RFC 9457 problem details (application/problem+json)' },
);

/** Defaults of the list query: in the schema (ajv applies them) and typed for the handler. */
export const LIST_DEFAULTS = {
  limit: 25,
  head: 10,
  tail: 0,
  sort: 'created',
  order: 'desc',
  archived: 'false',
  includeEmpty: false,
} as const;

const PageSize = (def: number, description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: def, description }));

export const ListQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ description: 'Resume strictly after the item this cursor names (opaque)' })),
    limit: PageSize(LIST_DEFAULTS.limit, 'Page size'),
    head: PageSize(LIST_DEFAULTS.head, 'Records of each file head to include'),
    tail: PageSize(LIST_DEFAULTS.tail, 'Last records of each file to include'),
    sort: Type.Optional(
      Type.Enum(['created', 'updated'], {
        default: LIST_DEFAULTS.sort,
        description: 'created: file-name time, then uuid; updated: file mtime, then file-name time and uuid',
      }),
    ),
    order: Type.Optional(Type.Enum(['desc', 'asc'], { default: LIST_DEFAULTS.order })),
    archived: Type.Optional(
      Type.Enum(['false', 'true', 'all'], {
        default: LIST_DEFAULTS.archived,
        description: 'false: sessions/ only; true: archived_sessions/ only; all: both',
      }),
    ),
    includeEmpty: Type.Optional(
      Type.Boolean({ default: LIST_DEFAULTS.includeEmpty, description: 'Also list sessions without a user message' }),
    ),
    cwd: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
        maxItems: 50,
        description: 'Session cwd, exact after normalisation (trailing slashes, . and .. segments); repeatable',
      }),
    ),
    source: Type.Optional(
      Type.Array(Type.Enum([...SOURCE_VALUES]), {
        maxItems: 8,
        description: 'Where the session came from; interactive = cli + vscode; repeatable',
      }),
    ),
    provider: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 50,
        description: 'Model provider; a session without one counts as openai; repeatable',
      }),
    ),
    since: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'ISO 8601 instant or date (UTC), inclusive, on createdAt (sort=created) or updatedAt (sort=updated)',
      }),
    ),
    until: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'ISO 8601 instant or date (UTC; a date includes its whole day), inclusive, on the same field as since',
      }),
    ),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'Case-insensitive substring of the title or the user-set name' }),
    ),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Uuid });

export const GetQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Enum(['json', 'ndjson'], { description: 'Overrides the Accept header: ndjson streams the file bytes' }),
    ),
  },
  { additionalProperties: false },
);

export const problemResponses = (...codes: (keyof typeof ProblemCode)[]) =>
  Object.fromEntries(
    [...new Set(codes.map((c) => ProblemCode[c]))].map((status) => [
      status,
      {
        description: codes.filter((c) => ProblemCode[c] === status).join(', '),
        content: { 'application/problem+json': { schema: Problem } },
      },
    ]),
  );
