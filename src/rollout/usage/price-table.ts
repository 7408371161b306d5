/**
 * The prices that ship with the service: USD per 1M tokens, OpenAI's standard tier. To update:
 * change or add a model here with the page the numbers come from, set `asOf` to the day you
 * read them, and run the tests (test/rollout/usage/pricing.test.ts pins the models docs/usage.md prices).
 * Users override or add models with `--pricing FILE` without a release.
 */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
  /**
   * Cache writes with a 5-minute / 1-hour lifetime (Anthropic bills them apart); absent: at the
   * input price (OpenAI bills no writes apart, and Codex reports none).
   */
  cacheWrite5m?: number;
  cacheWrite1h?: number;
  /** Where the numbers come from. */
  source: string;
}

export interface PriceTable {
  /** The day the prices were read (YYYY-MM-DD). */
  asOf: string;
  source: string;
  models: Record<string, ModelPrice>;
}

const page = (slug: string) => `https://developers.openai.com/api/docs/models/${slug}`;
const price = (input: number, cachedInput: number, output: number, slug: string): ModelPrice => ({
  input,
  cachedInput,
  output,
  source: page(slug),
});

export const BUILT_IN_PRICES: PriceTable = {
  asOf: '2026-11-24',
  source: 'https://developers.openai.com/api/docs/pricing (standard tier)',
  models: {
    'gpt-5': price(1.25, 0.125, 10, 'gpt-5'),
    'gpt-5-codex': price(1.25, 0.125, 10, 'gpt-5-codex'),
    'gpt-5-mini': price(0.25, 0.025, 2, 'gpt-5-mini'),
    'gpt-5.1': price(1.25, 0.125, 10, 'gpt-5.1'),
    'gpt-5.1-codex': price(1.25, 0.125, 10, 'gpt-5.1-codex'),
    'gpt-5.2': price(1.75, 0.175, 14, 'gpt-5.2'),
    'gpt-5.2-codex': price(1.75, 0.175, 14, 'gpt-5.2-codex'),
    'gpt-5.3-codex': price(1.75, 0.175, 14, 'gpt-5.3-codex'),
    'gpt-4.1': price(2, 0.5, 8, 'gpt-4.1'),
    o3: price(2, 0.5, 8, 'o3'),
    'o4-mini': price(1.1, 0.275, 4.4, 'o4-mini'),
    'codex-mini-latest': price(1.5, 0.375, 6, 'codex-mini-latest'),
  },
};
