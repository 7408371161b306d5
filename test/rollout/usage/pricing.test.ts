import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES } from '../../../src/rollout/usage/price-table.js';
import { costOf, parsePricing, PriceBook, PricingFileError } from '../../../src/rollout/usage/pricing.js';

const t = (inputTokens: number, cachedInputTokens: number, outputTokens: number, reasoningOutputTokens = 0) => ({
  inputTokens,
  cachedInputTokens,
  outputTokens,
  reasoningOutputTokens,
});

describe('the built-in price table', () => {
  it('has the models of SPEC §6 at exactly its prices, each with a source', () => {
    const spec: Record<string, [number, number, number]> = {
      'gpt-5': [1.25, 0.125, 10],
      'gpt-5-codex': [1.25, 0.125, 10],
      'gpt-5.1': [1.25, 0.125, 10],
      'gpt-5.1-codex': [1.25, 0.125, 10],
      'gpt-5.2-codex': [1.75, 0.175, 14],
      'gpt-5.3-codex': [1.75, 0.175, 14],
      o3: [2, 0.5, 8],
      'o4-mini': [1.1, 0.275, 4.4],
      'codex-mini-latest': [1.5, 0.375, 6],
    };
    for (const [model, [input, cachedInput, output]] of Object.entries(spec)) {
      expect(BUILT_IN_PRICES.models[model], model).toMatchObject({ input, cachedInput, output });
    }
    for (const p of Object.values(BUILT_IN_PRICES.models)) expect(p.source).toMatch(/^https:\/\//);
    expect(BUILT_IN_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('PriceBook', () => {
  const book = new PriceBook();

  it('bills uncached input, cached input once, and output; reasoning (inside output) is not billed again', () => {
    // (1,000,000 − 400,000) × 1.25 + 400,000 × 0.125 + 100,000 × 10, reasoning 60,000 inside the output
    expect(book.cost('gpt-5', t(1_000_000, 400_000, 100_000, 60_000))).toBeCloseTo(0.75 + 0.05 + 1, 12);
    expect(costOf(BUILT_IN_PRICES.models.o3!, t(2_000_000, 0, 0))).toBe(4);
  });

  it('prices a dated snapshot as its base model, and any case', () => {
    expect(book.priceOf('gpt-5-2025-08-07')).toBe(BUILT_IN_PRICES.models['gpt-5']);
    expect(book.priceOf('O4-Mini-2025-04-16')).toBe(BUILT_IN_PRICES.models['o4-mini']);
    expect(book.priceOf('gpt-5-codex-preview')).toBeNull();
  });

  it('has no price, and a null cost, for an unknown model: never $0', () => {
    expect(book.priceOf('mock-model')).toBeNull();
    expect(book.cost('mock-model', t(1_000_000, 0, 0))).toBeNull();
  });

  it('a pricing file adds models and overrides built-in ones, exact names before dated fallbacks', () => {
    const overrides = parsePricing(
      JSON.stringify({
        asOf: '2026-12-01',
        source: 'our contract',
        models: {
          'My-Model': { input: 3, cachedInput: 0.3, output: 12 },
          'gpt-5': { input: 1, cachedInput: 0.1, output: 8, source: 'negotiated' },
          'gpt-5-2025-08-07': { input: 2, cachedInput: 0.2, output: 9 },
        },
      }),
    );
    const custom = new PriceBook(overrides);
    expect(custom.priceOf('my-model')).toEqual({ input: 3, cachedInput: 0.3, output: 12, source: 'our contract' });
    expect(custom.priceOf('gpt-5')).toMatchObject({ input: 1, source: 'negotiated' });
    expect(custom.priceOf('gpt-5-2025-08-07')).toMatchObject({ input: 2 });
    expect(custom.priceOf('gpt-5-2025-10-01')).toMatchObject({ input: 1 });
    expect(custom.priceOf('o3')).toBe(BUILT_IN_PRICES.models.o3);
    expect(custom.asOf).toBe('2026-12-01');
    expect(custom.source).toContain('our contract');
    expect(book.asOf).toBe(BUILT_IN_PRICES.asOf);
  });

  it('rejects pricing files it cannot use, saying what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['{', /not valid JSON/],
      ['[]', /expected \{"models"/],
      ['{"models": []}', /expected \{"models"/],
      ['{"models": {}, "currency": "EUR"}', /unknown field\(s\) currency/],
      ['{"models": {"m": 1}}', /models\["m"\] must be an object/],
      ['{"models": {"m": {"input": 1, "cachedInput": 1}}}', /models\["m"\]\.output must be a number/],
      ['{"models": {"m": {"input": -1, "cachedInput": 1, "output": 1}}}', /models\["m"\]\.input must be a number ≥ 0/],
      ['{"models": {"m": {"input": "1", "cachedInput": 1, "output": 1}}}', /models\["m"\]\.input/],
      ['{"models": {"m": {"input": 1, "cachedInput": 1, "output": 1, "cached": 1}}}', /unknown field\(s\) cached/],
      ['{"models": {"": {"input": 1, "cachedInput": 1, "output": 1}}}', /must not be empty/],
      ['{"asOf": 5, "models": {}}', /asOf must be a non-empty string/],
    ];
    for (const [text, message] of bad) expect(() => parsePricing(text), text).toThrow(message);
    expect(() => parsePricing('{')).toThrow(PricingFileError);
  });
});
