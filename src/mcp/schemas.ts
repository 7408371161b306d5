import { z } from 'zod';
import { SOURCE_VALUES } from '../rollout/listing/filters.js';
import { GROUP_BY } from '../rollout/usage/grouping.js';

const AGENTS = ['codex', 'claude'] as const;
/** What usage_report groups by: GROUP_BY and the agent, as GET /usage (team mode adds the machine). */
const USAGE_GROUP_BY = [...GROUP_BY, 'agent'] as const;

/**
 * The tools' arguments, named as the REST parameters are. The SDK validates them before a tool
 * runs and answers a failure as a tool error whose text is these messages: each one starts with
 * the API's error code (INVALID_QUERY, INVALID_ID), so that an agent gets the same code as a
 * REST client would.
 */
const bad = (code: string, message: string) => ({ error: `${code}: ${message}` });
const q = (message: string) => bad('INVALID_QUERY', message);

const intIn = (name: string, min: number, max: number, description: string) =>
  z
    .int(q(`${name} must be an integer from ${min} to ${max}`))
    .min(min, q(`${name} must be at least ${min}`))
    .max(max, q(`${name} must be at most ${max}`))
    .optional()
    .describe(description);

const oneOf = <const T extends readonly [string, ...string[]]>(name: string, values: T, description: string) =>
  z.enum(values, q(`${name} must be one of ${values.join(', ')}`)).optional().describe(description);

const text = (name: string, max: number, description: string) =>
  z.string(q(`${name} must be a string`)).min(1, q(`${name} must not be empty`)).max(max, q(`${name} must be at most ${max} characters`))
    .describe(description);

const list = <T extends z.ZodType>(name: string, item: T, max: number, description: string) =>
  z.array(item, q(`${name} must be an array`)).max(max, q(`${name} takes at most ${max} values`)).optional().describe(description);

export const id = z
  .string(bad('INVALID_ID', 'id must be a string'))
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, bad('INVALID_ID', 'id must be a UUID'))
  .describe('Session id (a UUID, as in the items of list_sessions or search_sessions)');

const cursor = (what: string) => z.string(q('cursor must be a string')).max(512, q('cursor is too long')).optional().describe(what);

const filters = {
  cwd: list('cwd', text('cwd', 4096, 'A project directory'), 50, 'Only sessions whose working directory is one of these (exact paths)'),
  source: list(
    'source',
    z.enum(SOURCE_VALUES, q(`source must be one of ${SOURCE_VALUES.join(', ')}`)),
    8,
    'Only sessions started from these: cli, vscode, exec, mcp, subagent, custom, unknown; interactive = cli + vscode',
  ),
  provider: list('provider', text('provider', 200, 'A model provider'), 50, 'Only sessions of these model providers (openai: none named)'),
  agent: list(
    'agent',
    z.enum(AGENTS, q(`agent must be one of ${AGENTS.join(', ')}`)),
    2,
    'Only sessions of these agents: codex (Codex CLI), claude (Claude Code); an agent not served gives nothing',
  ),
  since: text('since', 64, 'ISO 8601 instant or date (UTC): only sessions created at or after it').optional(),
  until: text('until', 64, 'ISO 8601 instant or date (UTC; a date is its whole day): only sessions created at or before it').optional(),
  archived: oneOf('archived', ['false', 'true', 'all'], 'false (default): active sessions; true: archived only; all: both'),
  includeEmpty: z.boolean(q('includeEmpty must be a boolean')).optional().describe('Also sessions without a user message (default false)'),
};

const order = {
  sort: oneOf('sort', ['created', 'updated'], 'created (default): by start time; updated: by last write'),
  order: oneOf('order', ['desc', 'asc'], 'desc (default): newest first; asc: oldest first'),
};

const strict = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, q('unknown argument (the arguments are those of the input schema)'));

const searchText = {
  q: text('q', 500, 'Text to find, case-insensitively (runs of white space match any run of white space)'),
  match: oneOf('match', ['phrase', 'words'], 'phrase (default): q as one literal string; words: every word of q anywhere in the session'),
  scope: oneOf(
    'scope',
    ['messages', 'tools', 'all'],
    'messages (default): what the user typed and the assistant answered; tools: commands, patches, tool outputs; all: both, reasoning',
  ),
};

const transcript = {
  tools: oneOf('tools', ['full', 'summary', 'none'], 'full (default): commands, patches, outputs (bounded); summary: a line a call; none'),
  reasoning: z.boolean(q('reasoning must be a boolean')).optional().describe('Include reasoning summaries (default true)'),
  redact: z.boolean(q('redact must be a boolean')).optional().describe('Replace secrets with [REDACTED:<kind>] (default true)'),
};

export const ListSessionsArgs = strict({
  limit: intIn('limit', 0, 100, 'Sessions per page (default 20)'),
  cursor: cursor('nextCursor of the previous page, to continue'),
  q: text('q', 500, 'Only sessions whose title or name contains this (case-insensitive)').optional(),
  ...order,
  ...filters,
});

export const SearchSessionsArgs = strict({
  ...searchText,
  matches: intIn('matches', 0, 20, 'Snippets per session (default 3)'),
  limit: intIn('limit', 0, 100, 'Sessions per page (default 10)'),
  cursor: cursor('nextCursor of the previous page, to continue'),
  ...order,
  ...filters,
});

export const ReadSessionArgs = strict({
  id,
  cursor: cursor('nextCursor of the previous piece, to read on; absent: from the start'),
  ...transcript,
});

export const SearchSessionArgs = strict({
  id,
  ...searchText,
  limit: intIn('limit', 1, 100, 'Matches per page (default 20)'),
  cursor: cursor('nextCursor of the previous page, to continue'),
});

export const SessionUsageArgs = strict({ id });

export const UsageReportArgs = strict({
  groupBy: oneOf('groupBy', USAGE_GROUP_BY, `How to group (default day): ${USAGE_GROUP_BY.join(', ')}`),
  tz: text('tz', 64, 'IANA time zone of day/week/month buckets and of since/until dates (default UTC)').optional(),
  since: text('since', 64, "ISO 8601 instant or date: only responses at or after it (on each response's own time)").optional(),
  until: text('until', 64, 'ISO 8601 instant or date (a date includes its whole day): only responses at or before it').optional(),
  cwd: filters.cwd,
  source: filters.source,
  provider: filters.provider,
  agent: filters.agent,
  archived: oneOf('archived', ['false', 'true', 'all'], 'all (default): active and archived sessions; false; true'),
  limit: intIn('limit', 1, 1000, 'Rows at most (default 100); the totals cover every row'),
});

/** A machine name as push tokens carry it (src/team/tokens.ts MACHINE_NAME; the REST pattern). */
const machineName = z
  .string(q('machine must be a string'))
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, q('machine must be a machine name (1-64 of A-Z a-z 0-9 . _ -)'));
const machineFilter = list('machine', machineName, 50, 'Team mode: only sessions pushed by these machines');
const machineChoice = machineName
  .optional()
  .describe('Team mode: the machine to read the session from, when its id is on several (the AMBIGUOUS_ID error names them)');

/**
 * Team mode's arguments: those above and `machine`, as the REST routes of a team server take it (a
 * filter on pages and usage, the choice of one session's copy). A server over one home has no
 * machines: its tools do not offer the argument.
 */
export const TeamArgs = {
  list_sessions: ListSessionsArgs.extend({ machine: machineFilter }),
  search_sessions: SearchSessionsArgs.extend({ machine: machineFilter }),
  read_session: ReadSessionArgs.extend({ machine: machineChoice }),
  search_session: SearchSessionArgs.extend({ machine: machineChoice }),
  session_usage: SessionUsageArgs.extend({ machine: machineChoice }),
  usage_report: UsageReportArgs.extend({
    machine: machineFilter,
    groupBy: oneOf('groupBy', [...USAGE_GROUP_BY, 'machine'], `How to group (default day): ${[...USAGE_GROUP_BY, 'machine'].join(', ')}`),
  }),
};
