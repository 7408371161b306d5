import { roundUsd } from './pricing.js';
import type { PricedTokens } from './tally.js';

// Sums of priced figures that were priced apart (one report per agent): tokens add up, and so do
// costs, with a model without a price left out of a sum as the tally leaves it out (tally.ts).

export const PRICED_FIELDS = [
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningOutputTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'totalTokens',
] as const;

/** a + b. A cost is null only when both are (no priced model in either); an empty side (no tokens, $0) adds nothing. */
export function addPriced(a: PricedTokens, b: PricedTokens): PricedTokens {
  const sum = { ...a };
  for (const f of PRICED_FIELDS) sum[f] = a[f] + b[f];
  const empty = (t: PricedTokens) => t.totalTokens === 0 && t.costUSD === 0;
  const both = a.costUSD === null && b.costUSD === null ? null : roundUsd((a.costUSD ?? 0) + (b.costUSD ?? 0));
  sum.costUSD = empty(a) ? b.costUSD : empty(b) ? a.costUSD : both;
  return sum;
}

/** Several `byModel` maps as one: a model in more than one is summed. */
export function sumByModel(maps: readonly Record<string, PricedTokens>[]): Record<string, PricedTokens> {
  const out: Record<string, PricedTokens> = {};
  for (const map of maps) {
    for (const [model, t] of Object.entries(map)) out[model] = Object.hasOwn(out, model) ? addPriced(out[model]!, t) : { ...t };
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
