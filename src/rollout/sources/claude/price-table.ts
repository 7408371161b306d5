/**
 * Anthropic's prices for the Claude models, USD per 1M tokens, standard tier (no batch
 * discount, no long-context premium), in the same checked-in form as OpenAI's table
 * (price-table.ts). Anthropic bills five token kinds: base input (not cached), cache writes
 * with a 5-minute or a 1-hour lifetime, cache reads ("cache hits and refreshes"), and output.
 * To update: change or add a model with the page the numbers come from, set `asOf` to the day
 * you read them, and run test/rollout/sources/claude/pricing.test.ts.
 */
export interface AnthropicModelPrice {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
  /** Where the numbers come from. */
  source: string;
  /**
   * Fast mode (`usage.speed: "fast"`): every token kind at this multiple of the standard price
   * (Anthropic's cache multipliers stack on it); absent: the model's fast mode has no price here.
   */
  fast?: { factor: number; source: string };
}

export interface AnthropicPriceTable {
  /** The day the prices were read (YYYY-MM-DD). */
  asOf: string;
  source: string;
  models: Record<string, AnthropicModelPrice>;
}

const PRICING_PAGE = 'https://platform.claude.com/docs/en/about-claude/pricing';
/** Read 2026-12-06: "6x standard Opus rates for prompts ≤200K tokens" ($30 / $150 per MTok), modifiers stacking on it. */
const FAST_MODE_PAGE = 'https://platform.claude.com/docs/en/build-with-claude/fast-mode';
const modelPage = (slug: string) => `https://platform.claude.com/docs/en/models/${slug}/overview`;

const price = (
  input: number,
  cacheWrite5m: number,
  cacheWrite1h: number,
  cacheRead: number,
  output: number,
  source: string,
): AnthropicModelPrice => ({
  input,
  cacheWrite5m,
  cacheWrite1h,
  cacheRead,
  output,
  source,
});

/** Opus 4.5 and later: $5 input, $25 output; the cache prices are Anthropic's multipliers of input (1.25×, 2×, 0.1×). */
const opusNew = (slug: string) => price(5, 6.25, 10, 0.5, 25, slug === '' ? PRICING_PAGE : modelPage(slug));
const opusOld = () => price(15, 18.75, 30, 1.5, 75, PRICING_PAGE);
const sonnet = () => price(3, 3.75, 6, 0.3, 15, PRICING_PAGE);

/**
 * Model names as Claude Code writes them in `message.model`; a dated snapshot
 * (`claude-sonnet-4-5-20250929`) and a context-window variant (`claude-opus-4-8[1m]`) are
 * priced as their base name (anthropicPriceOf).
 */
export const ANTHROPIC_PRICES: AnthropicPriceTable = {
  asOf: '2026-12-06',
  source: `${PRICING_PAGE} (model pricing table, standard tier)`,
  models: {
    'claude-opus-4-8': opusNew('opus-4-8'),
    'claude-opus-4-7': opusNew(''),
    'claude-opus-4-6': { ...opusNew(''), fast: { factor: 6, source: `${FAST_MODE_PAGE} (≤200K input tokens)` } },
    'claude-opus-4-5': opusNew(''),
    'claude-opus-4-1': opusOld(),
    'claude-opus-4': opusOld(),
    'claude-opus-4-0': opusOld(),
    'claude-sonnet-4-6': sonnet(),
    'claude-sonnet-4-5': sonnet(),
    'claude-sonnet-4': sonnet(),
    'claude-sonnet-4-0': sonnet(),
    'claude-haiku-4-5': price(1, 1.25, 2, 0.1, 5, PRICING_PAGE),
    'claude-3-5-haiku': price(0.8, 1, 1.6, 0.08, 4, PRICING_PAGE),
  },
};

/** Anthropic's snapshot suffix (`-20250929`) and Claude Code's context-window suffix (`[1m]`). */
const SNAPSHOT_SUFFIX = /-\d{8}$/;
const WINDOW_SUFFIX = /\[[^\]]*\]$/;

/** What the counter appends to the model of a response served in fast mode (ccusage names it the same way). */
export const FAST_SUFFIX = '-fast';

/**
 * The model's price: its own, else its base name's (without a window or snapshot suffix); null
 * when unknown. A fast-mode name (`claude-opus-4-6-fast`) is its base price times the base's
 * fast factor, null when the base has none (never the standard price: that undercounts 6×).
 */
export function anthropicPriceOf(model: string, table: AnthropicPriceTable = ANTHROPIC_PRICES): AnthropicModelPrice | null {
  // Own keys only: a model named `constructor` or `__proto__` must not find Object's.
  const own = (key: string) => (Object.hasOwn(table.models, key) ? (table.models[key] as AnthropicModelPrice) : null);
  const name = model.toLowerCase().trim();
  const found = own(name) ?? own(name.replace(WINDOW_SUFFIX, '').replace(SNAPSHOT_SUFFIX, ''));
  if (found !== null || !name.endsWith(FAST_SUFFIX)) return found;
  const base = anthropicPriceOf(name.slice(0, -FAST_SUFFIX.length), table);
  return base?.fast === undefined ? null : fastPrice(base, base.fast);
}

function fastPrice(p: AnthropicModelPrice, fast: { factor: number; source: string }): AnthropicModelPrice {
  const f = fast.factor;
  return price(p.input * f, p.cacheWrite5m * f, p.cacheWrite1h * f, p.cacheRead * f, p.output * f, fast.source);
}
