import { Type, type Static } from 'typebox';
import { Nullable } from './nullable.js';
import { pattern } from './param-detail.js';
import { machineChoice, sessionSelectors } from './filter-schemas.js';
import { UsageSummary } from './usage-schemas.js';

export { Nullable };
import { ProblemCode } from './problem.js';

const JsonObject = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
  description: 'A raw record of the rollout file, exactly as written',
});

const Uuid = Type.String({
  pattern: pattern('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', 'a UUID'),
  description: 'Session id: a UUID of any version, any case',
});

export const Git = Type.Object({
  branch: Nullable(Type.String()),
  commitHash: Nullable(Type.String()),
  repositoryUrl: Nullable(Type.String()),
});

const summaryProperties = {
  id: Type.String({ description: 'Session id (lower case)' }),
  path: Type.String({
    description: "File path relative to its agent's home (the Codex home, or the Claude home for agent claude), with / separators",
  }),
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
  usage: UsageSummary,
  agent: Type.Enum(['codex', 'claude'], { description: 'The agent that wrote the session: Codex CLI or Claude Code' }),
  model: Type.Optional(
    Nullable(Type.String(), "The model of the session's first response (Claude Code); null or absent for Codex (see `usage.models`)"),
  ),
  machine: Type.Optional(Type.String({ description: 'Team mode: the machine that pushed the session (absent on a single machine)' })),
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
  total: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'How many sessions pass the filters, all pages together. Only when asked (`total=true`), on a first page (no `cursor`), ' +
        'and only while the index is complete; absent otherwise (no index, still building, or unavailable)',
    }),
  ),
  indexing: Type.Optional(
    Type.Boolean({
      description:
        'true when the page leaves out the sessions of a source (Claude Code) whose index is still building and whose first ' +
        'listing of the tree, past 1,000 files or the scan bound, is under way: ask again later for a page with them ' +
        '(with nothing else to show, 503 instead); absent otherwise',
    }),
  ),
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
    machines: Type.Optional(
      Type.Array(Type.String(), { description: 'AMBIGUOUS_ID in team mode: the machines the id is on (choose one with ?machine=)' }),
    ),
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
  total: false,
} as const;

const PageSize = (def: number, description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: def, description }));

const listOrder = {
  cursor: Type.Optional(Type.String({ description: 'Resume strictly after the item this cursor names (opaque)' })),
  sort: Type.Optional(
    Type.Enum(['created', 'updated'], {
      default: LIST_DEFAULTS.sort,
      description: 'created: file-name time, then uuid; updated: file mtime, then file-name time and uuid',
    }),
  ),
  order: Type.Optional(Type.Enum(['desc', 'asc'], { default: LIST_DEFAULTS.order })),
};

/** The list's filters; search takes them too, usage some of them. */
const sessionFilters = {
  archived: Type.Optional(
    Type.Enum(['false', 'true', 'all'], {
      default: LIST_DEFAULTS.archived,
      description: 'false: sessions/ only; true: archived_sessions/ only; all: both',
    }),
  ),
  includeEmpty: Type.Optional(
    Type.Boolean({ default: LIST_DEFAULTS.includeEmpty, description: 'Also list sessions without a user message' }),
  ),
  ...sessionSelectors,
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
};

export const ListQuery = Type.Object(
  {
    cursor: listOrder.cursor,
    limit: PageSize(LIST_DEFAULTS.limit, 'Page size'),
    head: PageSize(LIST_DEFAULTS.head, 'Records of each file head to include'),
    tail: PageSize(LIST_DEFAULTS.tail, 'Last records of each file to include'),
    sort: listOrder.sort,
    order: listOrder.order,
    ...sessionFilters,
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'Case-insensitive substring of the title or the user-set name' }),
    ),
    total: Type.Optional(
      Type.Boolean({
        default: LIST_DEFAULTS.total,
        description:
          'Also count the sessions that pass the filters (`total` in the answer, on a first page while the index is complete). ' +
          'Off by default: the count reads every matching index row, which costs more than the page itself on a large home',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Defaults of the search queries: in the schema (ajv applies them) and typed for the handler. */
export const SEARCH_DEFAULTS = { match: 'phrase', scope: 'messages', matches: 3, limit: 20 } as const;

const searchText = {
  q: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'The text to find, case-insensitively (runs of white space match any run of white space)',
  }),
  match: Type.Optional(
    Type.Enum(['phrase', 'words'], {
      default: SEARCH_DEFAULTS.match,
      description: 'phrase: q is a literal substring; words: every word of q occurs somewhere in the session, in any order',
    }),
  ),
  scope: Type.Optional(
    Type.Enum(['messages', 'tools', 'all'], {
      default: SEARCH_DEFAULTS.scope,
      description: 'messages: what the user typed and the assistant answered; tools: tool calls and outputs; all: both, and reasoning',
    }),
  ),
};

export const SearchQuery = Type.Object(
  {
    ...searchText,
    matches: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, default: SEARCH_DEFAULTS.matches, description: 'Snippets per session' }),
    ),
    limit: PageSize(SEARCH_DEFAULTS.limit, 'Sessions per page'),
    ...listOrder,
    ...sessionFilters,
  },
  { additionalProperties: false },
);

export const SessionSearchQuery = Type.Object(
  {
    ...searchText,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: SEARCH_DEFAULTS.limit, description: 'Matches per page' })),
    cursor: Type.Optional(Type.String({ description: 'Resume after the match this cursor names (opaque)' })),
    ...machineChoice,
  },
  { additionalProperties: false },
);

export const SearchMatch = Type.Object({
  line: Type.Integer({ minimum: 1, description: '1-based line number of the record in the file' }),
  timestamp: Nullable(Type.String(), "The record's timestamp, when it has one"),
  role: Type.Enum(['user', 'assistant', 'tool', 'reasoning']),
  kind: Type.String({ description: "The record's type: message, user_message, agent_message, function_call, reasoning, ..." }),
  snippet: Type.String({ description: 'Whitespace-collapsed text around the first hit, cut at character boundaries, … where cut' }),
  ranges: Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2 }), {
    description: 'Hits inside the snippet: [start, end) in UTF-16 code units',
  }),
});

export const SearchPage = Type.Object({
  items: Type.Array(
    Type.Object({
      ...summaryProperties,
      matchCount: Type.Integer({ minimum: 1, description: 'Matching records in the session' }),
      matches: Type.Array(SearchMatch, { description: 'The first `matches` matching records, in file order' }),
    }),
  ),
  nextCursor: Nullable(Type.String(), 'Pass as `cursor` for the next page; null when no more items follow'),
  reachedScanCap: Type.Boolean({
    description:
      'The page stopped early: while the index is being built at --max-scan-files, or when the request examined its ' +
      'budget of text (32 Mi characters; needles under 3 characters read every session). Go on with nextCursor',
  }),
});

export const SessionSearchPage = Type.Object({
  matches: Type.Array(SearchMatch),
  nextCursor: Nullable(Type.String(), 'Pass as `cursor` for the next page; null when no more matches follow'),
});

export const IdParams = Type.Object({ id: Uuid });

export const GetQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Enum(['json', 'ndjson'], { description: 'Overrides the Accept header: ndjson streams the file bytes' }),
    ),
    ...machineChoice,
  },
  { additionalProperties: false },
);

/** The 304 of a route whose JSON body is revalidated with its ETag (reply.cachedJson). */
export const NotModified = { 304: { description: 'Not modified (If-None-Match)', type: 'null' } } as const;

/**
 * The problem+json answers of a route, by status. Those any route can give (a Host not allowed,
 * a token missing, a shutdown...) are added to every route's document by docs.ts.
 */
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
