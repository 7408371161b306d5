import { isObject } from './formats.js';

/**
 * The four token counts Codex reports for a response (rule 3): cached input is part of input,
 * reasoning is part of output. `total_tokens` as written is not kept: Codex's
 * fill_to_context_window writes a total that is only `total_tokens`, which is no usage at all;
 * totalTokens is always input + output. `cache_write_input_tokens` (newer files) is not billed
 * separately by OpenAI and is ignored.
 */
export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
}

export const TOKEN_FIELDS = ['inputTokens', 'cachedInputTokens', 'outputTokens', 'reasoningOutputTokens'] as const;

export const zeroTokens = (): TokenCounts => ({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0 });

/**
 * The largest count one response may report (2^40, a thousand billion tokens): a hostile line
 * cannot make a sum overflow (SQLite's integer sum fails past 2^63, a float one reaches
 * Infinity, which JSON cannot carry).
 */
export const MAX_COUNT = 2 ** 40;

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.floor(value), MAX_COUNT) : 0;
}

/**
 * A usage object as Codex writes it (`input_tokens`, `cached_input_tokens`, ...), or null when
 * `value` is not an object. Missing or malformed counts are 0. Older writers name cached input
 * `cache_read_input_tokens`.
 */
export function readTokens(value: unknown): TokenCounts | null {
  if (!isObject(value)) return null;
  return {
    inputTokens: count(value.input_tokens),
    cachedInputTokens: Math.max(count(value.cached_input_tokens), count(value.cache_read_input_tokens)),
    outputTokens: count(value.output_tokens),
    reasoningOutputTokens: count(value.reasoning_output_tokens),
  };
}

export function anyDecrease(from: TokenCounts, to: TokenCounts): boolean {
  return TOKEN_FIELDS.some((f) => to[f] < from[f]);
}

export function isZero(t: TokenCounts): boolean {
  return TOKEN_FIELDS.every((f) => t[f] === 0);
}

/** `to − from`, field by field (the caller checked that no field decreased). */
export function difference(from: TokenCounts, to: TokenCounts): TokenCounts {
  return {
    inputTokens: to.inputTokens - from.inputTokens,
    cachedInputTokens: to.cachedInputTokens - from.cachedInputTokens,
    outputTokens: to.outputTokens - from.outputTokens,
    reasoningOutputTokens: to.reasoningOutputTokens - from.reasoningOutputTokens,
  };
}

export function addInto(sum: TokenCounts, t: TokenCounts): void {
  for (const f of TOKEN_FIELDS) sum[f] += t[f];
}

/**
 * One response's counts made consistent with rule 3: cached input cannot exceed input, nor
 * reasoning output exceed output (a malformed line would otherwise make uncached input
 * negative and bill it as a credit).
 */
export function clampParts(t: TokenCounts): TokenCounts {
  return {
    ...t,
    cachedInputTokens: Math.min(t.cachedInputTokens, t.inputTokens),
    reasoningOutputTokens: Math.min(t.reasoningOutputTokens, t.outputTokens),
  };
}
