import { Type } from 'typebox';
import { Nullable } from './nullable.js';

const tokenProperties = {
  inputTokens: Type.Integer({ minimum: 0, description: 'Input tokens, cached input included' }),
  cachedInputTokens: Type.Integer({ minimum: 0, description: 'The part of the input read from the prompt cache' }),
  outputTokens: Type.Integer({ minimum: 0, description: 'Output tokens, reasoning included' }),
  reasoningOutputTokens: Type.Integer({ minimum: 0, description: 'The part of the output spent on reasoning (not billed again)' }),
  totalTokens: Type.Integer({ minimum: 0, description: 'inputTokens + outputTokens' }),
  costUSD: Nullable(
    Type.Number({ minimum: 0 }),
    '(input − cached) × input price + cached × cached-input price + output × output price, per model; ' +
      'the models without a price are left out (see unpricedModels); null when none of them has a price',
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
    { description: 'Counted responses grouped by turn, in file order' },
  ),
  contextWindow: Nullable(Type.Integer({ minimum: 0 }), 'The last model context window the session reported'),
  peakInputTokens: Type.Integer({ minimum: 0, description: 'The largest input of one response: the fullest the context got' }),
  rateLimits: Type.Unsafe<Record<string, unknown> | null>({
    type: ['object', 'null'],
    additionalProperties: true,
    description: 'The last rate-limit snapshot of the session, exactly as Codex wrote it; null when there is none',
  }),
  unpricedModels: Type.Array(Type.String(), { description: 'Models with usage and no price: their cost is not in costUSD' }),
});

export const NoQuery = Type.Object({}, { additionalProperties: false });
