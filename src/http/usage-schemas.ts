import { Type } from 'typebox';
import { GROUP_BY } from '../rollout/usage/grouping.js';
import { Nullable } from './nullable.js';
import { machineChoice, sessionSelectors } from './filter-schemas.js';

const tokenProperties = {
  inputTokens: Type.Integer({
    minimum: 0,
    description:
      'Every input token, cached input and cache writes included, for both agents (Claude: Anthropic\'s input_tokens + ' +
      'cache writes + cache reads)',
  }),
  cachedInputTokens: Type.Integer({ minimum: 0, description: 'The part of the input read from the prompt cache (Claude: cache reads)' }),
  outputTokens: Type.Integer({ minimum: 0, description: 'Output tokens, reasoning (Claude: thinking) included' }),
  reasoningOutputTokens: Type.Integer({
    minimum: 0,
    description: 'The part of the output spent on reasoning (not billed again); 0 for Claude, which does not report it apart',
  }),
  cacheWrite5mTokens: Type.Integer({
    minimum: 0,
    description: 'The part of the input written to the prompt cache with a 5-minute lifetime (Claude; 0 for Codex)',
  }),
  cacheWrite1hTokens: Type.Integer({
    minimum: 0,
    description: 'The part of the input written to the prompt cache with a 1-hour lifetime (Claude; 0 for Codex)',
  }),
  totalTokens: Type.Integer({ minimum: 0, description: 'inputTokens + outputTokens' }),
  costUSD: Nullable(
    Type.Number({ minimum: 0 }),
    '(input − cached − cache writes) × input price + each cache write kind × its price + cached × cached-input (cache read) ' +
      'price + output × output price, per model; the models without a price are left out (see unpricedModels); null when ' +
      'none of them has a price',
  ),
};

export const PricedTokens = Type.Object(tokenProperties);

/** The `usage` of a list item, a search item and a session summary. */
export const UsageSummary = Nullable(
  Type.Object({
    ...tokenProperties,
    models: Type.Array(Type.String(), { description: 'The models of its counted responses' }),
  }),
  'Token usage and cost of the session (see GET /conversations/{id}/usage); null while the session is not indexed yet',
);

const ByModel = Type.Record(Type.String(), PricedTokens, { description: 'The same figures per model' });

export const SessionUsageDocument = Type.Object({
  id: Type.String({ description: 'Session id (lower case)' }),
  totals: PricedTokens,
  byModel: ByModel,
  turns: Type.Array(
    Type.Object({
      turnId: Nullable(Type.String(), 'Codex turn id; null for a response outside any known turn (it is then one entry of its own)'),
      model: Type.String({ description: "The model of the turn's first response" }),
      at: Nullable(Type.String(), "The time of the turn's first response, as written in the file (UTC)"),
      ...tokenProperties,
    }),
    { description: 'Counted responses grouped by turn, in file order: the first 1,000 turns' },
  ),
  turnsOmitted: Type.Integer({ minimum: 0, description: 'Turns past the first 1,000, not listed; their usage is in totals and byModel' }),
  contextWindow: Nullable(Type.Integer({ minimum: 0 }), 'The last model context window the session reported'),
  peakInputTokens: Type.Integer({ minimum: 0, description: 'The largest input of one response: the fullest the context got' }),
  rateLimits: Type.Unsafe<Record<string, unknown> | null>({
    type: ['object', 'null'],
    additionalProperties: true,
    description:
      'The last rate-limit snapshot of the session, exactly as Codex wrote it; null when there is none or when it is ' +
      'larger than 16 KiB of JSON (real ones are a few hundred bytes)',
  }),
  unpricedModels: Type.Array(Type.String(), { description: 'Models with usage and no price: their cost is not in costUSD' }),
});

export const SessionUsageQuery = Type.Object({ ...machineChoice }, { additionalProperties: false });

/** What `/usage` groups by: GROUP_BY, the agent (codex, claude), and in team mode the machine. */
export const USAGE_GROUP_BY = [...GROUP_BY, 'agent', 'machine'] as const;

export const USAGE_DEFAULTS = { groupBy: 'day', tz: 'UTC', archived: 'all', limit: 1000 } as const;

export const UsageQuery = Type.Object(
  {
    groupBy: Type.Optional(
      Type.Enum([...USAGE_GROUP_BY], {
        default: USAGE_DEFAULTS.groupBy,
        description:
          "day, ISO week or month of each response's own time in tz; or model, cwd, source, provider, session, agent (codex, " +
          'claude); machine (team mode)',
      }),
    ),
    tz: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        default: USAGE_DEFAULTS.tz,
        description: 'IANA time zone of the time groups and of since/until',
      }),
    ),
    since: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "ISO 8601 instant or date, inclusive, on each response's time; a date or an instant without offset is read in tz",
      }),
    ),
    until: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'ISO 8601 instant or date (a date includes its whole day in tz), inclusive',
      }),
    ),
    ...sessionSelectors,
    archived: Type.Optional(
      Type.Enum(['false', 'true', 'all'], {
        default: USAGE_DEFAULTS.archived,
        description: 'all (default: archived sessions cost money too), false: sessions/ only, true: archived_sessions/ only',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        default: USAGE_DEFAULTS.limit,
        description: 'Rows at most (the first ones in their order); the others are counted in rowsOmitted, the totals cover all',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UsageReport = Type.Object({
  groupBy: Type.Enum([...USAGE_GROUP_BY]),
  tz: Type.String(),
  rows: Type.Array(
    Type.Object({
      key: Nullable(
        Type.String(),
        'The group: 2026-11-24 (day), 2026-W48 (ISO week), 2026-11 (month), or the model, normalised cwd, source, provider, ' +
          'session id, agent or machine; null when unknown (a response without a time, a session without a cwd)',
      ),
      ...tokenProperties,
      sessions: Type.Integer({ minimum: 0, description: 'Sessions with counted usage in this group' }),
      byModel: ByModel,
    }),
    { description: 'Time groups by key ascending; the others by totalTokens descending, then key' },
  ),
  rowsOmitted: Type.Integer({ minimum: 0, description: 'Rows left out by limit' }),
  totals: PricedTokens,
  unpricedModels: Type.Array(Type.String(), { description: 'Models with usage and no price: their cost is not in costUSD' }),
  pricing: Type.Object(
    { asOf: Type.String({ description: 'Date of the price table' }), source: Type.String({ description: 'Where the prices come from' }) },
    { description: 'The price table the costs were computed with (the built-in one, or with --pricing)' },
  ),
});
