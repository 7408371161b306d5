import { isObject } from './formats.js';
import { MAX_COUNT, TOKEN_FIELDS, type TokenCounts } from '../common/tokens.js';

export { MAX_COUNT, TOKEN_FIELDS, addInto, zeroTokens, type TokenCounts } from '../common/tokens.js';

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
