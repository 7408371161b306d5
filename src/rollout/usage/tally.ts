import { roundUsd, type PriceBook } from './pricing.js';
import type { UsageSummary } from '../types.js';
import { addInto, zeroTokens, type TokenCounts } from '../sources/common/tokens.js';

/** Token counts as the API shows them: the cache writes (0 for Codex), totalTokens (input + output) and the cost in USD. */
export interface PricedTokens extends Required<TokenCounts> {
  totalTokens: number;
  /** Null when no model of these tokens has a price. */
  costUSD: number | null;
}

/**
 * Token counts per model: what every aggregate (a session, a turn, a row of /usage) is made
 * of, because cost is per model (rule 7).
 */
export class ModelTally {
  private readonly byModel = new Map<string, TokenCounts>();

  add(model: string, t: TokenCounts): void {
    let sum = this.byModel.get(model);
    if (sum === undefined) this.byModel.set(model, (sum = zeroTokens()));
    addInto(sum, t);
  }

  merge(other: ModelTally): void {
    for (const [model, t] of other.byModel) this.add(model, t);
  }

  get models(): string[] {
    return [...this.byModel.keys()].sort();
  }

  /** Models with tokens here and no price. */
  unpriced(prices: PriceBook): string[] {
    return this.models.filter((m) => prices.priceOf(m) === null);
  }

  /**
   * All models together. costUSD sums the priced models; models without a price are left out
   * of it and reported in `unpricedModels` by the caller (never silently $0): it is null
   * when no model here has a price, and 0 when there are no tokens at all.
   */
  totals(prices: PriceBook): PricedTokens {
    const sum = zeroTokens();
    let cost: number | null = this.byModel.size === 0 ? 0 : null;
    for (const [model, t] of this.byModel) {
      addInto(sum, t);
      const c = prices.cost(model, t);
      if (c !== null) cost = (cost ?? 0) + c;
    }
    return priced(sum, cost);
  }

  perModel(prices: PriceBook): Record<string, PricedTokens> {
    return Object.fromEntries(this.models.map((m) => [m, priced(this.byModel.get(m)!, prices.cost(m, this.byModel.get(m)!))]));
  }
}

function priced(t: TokenCounts, cost: number | null): PricedTokens {
  return {
    ...t,
    cacheWrite5mTokens: t.cacheWrite5mTokens ?? 0,
    cacheWrite1hTokens: t.cacheWrite1hTokens ?? 0,
    totalTokens: t.inputTokens + t.outputTokens,
    costUSD: cost === null ? null : roundUsd(cost),
  };
}

/** A session's usage summary from its counted tokens per model (list and search items, summaries). */
export function usageSummary(models: readonly ({ model: string } & TokenCounts)[], prices: PriceBook): UsageSummary {
  const tally = new ModelTally();
  for (const m of models) tally.add(m.model, m);
  return { ...tally.totals(prices), models: tally.models };
}
