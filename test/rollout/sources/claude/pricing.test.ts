import { describe, expect, it } from 'vitest';
import { ANTHROPIC_PRICES, anthropicPriceOf } from '../../../../src/rollout/sources/claude/price-table.js';
import { parsePricing, PriceBook } from '../../../../src/rollout/usage/pricing.js';

describe('the Anthropic price table', () => {
  it('is dated, sourced, and prices every Claude 4.x model the fixtures use', () => {
    expect(ANTHROPIC_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(ANTHROPIC_PRICES.source).toMatch(/^https:\/\/platform\.claude\.com\//);
    const prices = (name: string) => {
      const p = anthropicPriceOf(name);
      return p === null ? null : [p.input, p.cacheWrite5m, p.cacheWrite1h, p.cacheRead, p.output];
    };
    expect(prices('claude-sonnet-4-5-20250929')).toEqual([3, 3.75, 6, 0.3, 15]);
    expect(prices('claude-opus-4-5-20251101')).toEqual([5, 6.25, 10, 0.5, 25]);
    expect(prices('claude-opus-4-8')).toEqual([5, 6.25, 10, 0.5, 25]);
    expect(prices('claude-haiku-4-5-20251001')).toEqual([1, 1.25, 2, 0.1, 5]);
    expect(prices('claude-opus-4-1-20250805')).toEqual([15, 18.75, 30, 1.5, 75]);
  });

  it("every model's cache prices follow Anthropic's multipliers of its input price (1.25×, 2×, 0.1×)", () => {
    for (const [name, p] of Object.entries(ANTHROPIC_PRICES.models)) {
      expect(p.cacheWrite5m, name).toBeCloseTo(p.input * 1.25, 10);
      expect(p.cacheWrite1h, name).toBeCloseTo(p.input * 2, 10);
      expect(p.cacheRead, name).toBeCloseTo(p.input * 0.1, 10);
      expect(p.source, name).toMatch(/^https:\/\//);
    }
  });

  it('names with a window suffix or in another case take the base price; unknown names and Object keys have none', () => {
    expect(anthropicPriceOf('claude-opus-4-8[1m]')).toBe(ANTHROPIC_PRICES.models['claude-opus-4-8']);
    expect(anthropicPriceOf(' Claude-Sonnet-4-5 ')).toBe(ANTHROPIC_PRICES.models['claude-sonnet-4-5']);
    for (const name of ['<synthetic>', 'gpt-5', 'claude-future-9', 'constructor', '__proto__', 'toString', '']) {
      expect(anthropicPriceOf(name), name).toBeNull();
    }
  });

  it('fast mode (`-fast`) is the base price times its fast factor; a model without one has no fast price (never the standard one)', () => {
    const p = anthropicPriceOf('claude-opus-4-6-fast')!;
    expect([p.input, p.cacheWrite5m, p.cacheWrite1h, p.cacheRead, p.output]).toEqual([30, 37.5, 60, 3, 150]);
    expect(p.source).toMatch(/fast-mode/);
    expect(anthropicPriceOf('claude-opus-4-6-20260205[1m]-fast')?.input).toBe(30);
    expect(anthropicPriceOf('claude-opus-4-8-fast')).toBeNull();
    expect(anthropicPriceOf('claude-sonnet-4-5-fast')).toBeNull();
  });

  it('the one price book prices both agents; a --pricing file may give cache-write prices, checked like the others', () => {
    const book = new PriceBook();
    expect(book.priceOf('gpt-5')?.input).toBe(1.25);
    expect(book.priceOf('claude-sonnet-4-5-20250929')).toMatchObject({ input: 3, cachedInput: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 });
    const t = { inputTokens: 1_000_000 + 2_000_000 + 3_000_000, cachedInputTokens: 3_000_000, outputTokens: 0, reasoningOutputTokens: 0 };
    // $3 plain input + $3.75 × 1 (5m) + $6 × 1 (1h) + $0.30 × 3 reads.
    const writes = { cacheWrite5mTokens: 1_000_000, cacheWrite1hTokens: 1_000_000 };
    expect(book.cost('claude-sonnet-4-5', { ...t, ...writes })).toBeCloseTo(3 + 3.75 + 6 + 0.9, 10);
    const file = '{"models": {"claude-nova-9": {"input": 1, "cachedInput": 0.1, "output": 2, "cacheWrite1h": 4}}}';
    const own = new PriceBook(parsePricing(file));
    expect(own.priceOf('claude-nova-9-20270101')).toMatchObject({ input: 1, cacheWrite5m: 1, cacheWrite1h: 4 });
    expect(() => parsePricing('{"models": {"m": {"input": 1, "cachedInput": 0.1, "output": 2, "cacheWrite5m": -1}}}')).toThrow(/cacheWrite5m/);
  });
});
