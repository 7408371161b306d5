import { readFileSync } from 'node:fs';
import { isObject } from '../sources/common/json.js';
import { BUILT_IN_PRICES, type ModelPrice, type PriceTable } from './price-table.js';
import type { TokenCounts } from '../sources/common/tokens.js';
import { ANTHROPIC_PRICES, anthropicPriceOf, type AnthropicModelPrice, type AnthropicPriceTable } from '../sources/claude/price-table.js';
import type { AgentName } from '../sources/source.js';

export type { ModelPrice, PriceTable } from './price-table.js';

/** Models a `--pricing` file adds or overrides; `asOf` and `source` describe the file's prices. */
export interface PricingOverrides {
  asOf: string | null;
  source: string | null;
  models: Record<string, ModelPrice>;
}

/** A `--pricing` file that cannot be used; the message says what to fix. */
export class PricingFileError extends Error {
  override name = 'PricingFileError';
}

/** A dated snapshot name (`gpt-5-2025-08-07`) is priced as its base model (`gpt-5`). */
const DATE_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

const PRICE_FIELDS = ['input', 'cachedInput', 'output'] as const;
/** Anthropic's cache-write prices (optional: absent, writes cost the input price). */
const WRITE_FIELDS = ['cacheWrite5m', 'cacheWrite1h'] as const;
const FILE_KEYS = new Set(['asOf', 'source', 'models']);
const MODEL_KEYS = new Set([...PRICE_FIELDS, ...WRITE_FIELDS, 'source']);

const isPrice = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

const optionalString = (value: unknown, what: string): string | null => {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw new PricingFileError(`${what} must be a non-empty string`);
  return value;
};

function modelPrice(name: string, value: unknown, fileSource: string): ModelPrice {
  const where = `models[${JSON.stringify(name)}]`;
  if (!isObject(value)) throw new PricingFileError(`${where} must be an object {"input", "cachedInput", "output"}`);
  const unknown = Object.keys(value).filter((k) => !MODEL_KEYS.has(k));
  if (unknown.length > 0) throw new PricingFileError(`${where} has unknown field(s) ${unknown.join(', ')}`);
  const numbers = PRICE_FIELDS.map((field) => {
    const n = value[field];
    if (!isPrice(n)) throw new PricingFileError(`${where}.${field} must be a number ≥ 0 (USD per 1M tokens)`);
    return n;
  });
  const writes: Partial<Record<(typeof WRITE_FIELDS)[number], number>> = {};
  for (const field of WRITE_FIELDS) {
    const n = value[field];
    if (n === undefined) continue;
    if (!isPrice(n)) throw new PricingFileError(`${where}.${field} must be a number ≥ 0 (USD per 1M tokens)`);
    writes[field] = n;
  }
  const [input, cachedInput, output] = numbers as [number, number, number];
  return { input, cachedInput, output, ...writes, source: optionalString(value.source, `${where}.source`) ?? fileSource };
}

/**
 * A `--pricing` file's JSON text, validated: `{"asOf"?, "source"?, "models": {name: {"input",
 * "cachedInput", "output", "source"?}}}`, prices in USD per 1M tokens.
 */
export function parsePricing(text: string): PricingOverrides {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PricingFileError(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(value) || !isObject(value.models)) {
    throw new PricingFileError('expected {"models": {"<model>": {"input", "cachedInput", "output"}}}');
  }
  const unknown = Object.keys(value).filter((k) => !FILE_KEYS.has(k));
  if (unknown.length > 0) throw new PricingFileError(`unknown field(s) ${unknown.join(', ')}`);
  const asOf = optionalString(value.asOf, 'asOf');
  const source = optionalString(value.source, 'source');
  const models: Record<string, ModelPrice> = {};
  for (const [name, entry] of Object.entries(value.models)) {
    if (name.trim() === '') throw new PricingFileError('a model name must not be empty');
    models[name.toLowerCase()] = modelPrice(name, entry, source ?? 'the --pricing file');
  }
  return { asOf, source, models };
}

/** Reads and validates a `--pricing` file (at start-up). */
export function loadPricingFile(path: string): PricingOverrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PricingFileError(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parsePricing(text);
}

/**
 * Rule 7, per 1M tokens: uncached input, cached input and output each at their price; reasoning
 * is inside output. Cache writes (Claude: part of input) at their own prices, the rest of the
 * uncached input at the input price (docs/usage.md, "Both agents").
 */
export function costOf(p: ModelPrice, t: TokenCounts): number {
  const w5 = t.cacheWrite5mTokens ?? 0;
  const w1 = t.cacheWrite1hTokens ?? 0;
  const plain = Math.max(0, t.inputTokens - t.cachedInputTokens - w5 - w1);
  return (
    (plain * p.input +
      w5 * (p.cacheWrite5m ?? p.input) +
      w1 * (p.cacheWrite1h ?? p.input) +
      t.cachedInputTokens * p.cachedInput +
      t.outputTokens * p.output) /
    1_000_000
  );
}

/** Model names whose price a PriceBook remembers (names come from the files: bounded). */
const PRICE_MEMO_MAX = 1024;

/** An Anthropic price in the form every price has: cache reads are cached input. */
const fromAnthropic = (p: AnthropicModelPrice): ModelPrice => ({
  input: p.input,
  cachedInput: p.cacheRead,
  output: p.output,
  cacheWrite5m: p.cacheWrite5m,
  cacheWrite1h: p.cacheWrite1h,
  source: p.source,
});

const toAnthropic = (p: ModelPrice): AnthropicModelPrice => ({
  input: p.input,
  cacheWrite5m: p.cacheWrite5m ?? p.input,
  cacheWrite1h: p.cacheWrite1h ?? p.input,
  cacheRead: p.cachedInput,
  output: p.output,
  source: p.source,
});

/** Dollars without float noise (sums of products of decimals): 10 decimal places. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e10) / 1e10;

/** The prices in force: the built-in table with a `--pricing` file's models over it. */
export class PriceBook {
  readonly asOf: string;
  readonly source: string;
  private readonly models: Map<string, ModelPrice>;
  /** Anthropic's table with the --pricing file's models over it: its name rules (snapshots, `[1m]`, `-fast`) apply to both. */
  private readonly anthropic: AnthropicPriceTable;

  constructor(
    overrides: PricingOverrides | null = null,
    table: PriceTable = BUILT_IN_PRICES,
    claude: AnthropicPriceTable = ANTHROPIC_PRICES,
  ) {
    this.models = new Map(Object.entries(table.models).map(([name, p]) => [name.toLowerCase(), p]));
    for (const [name, p] of Object.entries(overrides?.models ?? {})) this.models.set(name, p);
    const own = Object.entries(overrides?.models ?? {}).map(([name, p]) => [name, toAnthropic(p)] as const);
    this.anthropic = { ...claude, models: { ...claude.models, ...Object.fromEntries(own) } };
    this.asOf = overrides?.asOf ?? table.asOf;
    this.source = overrides === null ? table.source : `${table.source}; overridden by ${overrides.source ?? 'a --pricing file'}`;
    const claudeSource = overrides === null ? claude.source : `${claude.source}; overridden by ${overrides.source ?? 'a --pricing file'}`;
    this.claudePricing = { asOf: overrides?.asOf ?? claude.asOf, source: claudeSource };
  }

  /** The date and source of Anthropic's prices (Claude sessions). */
  readonly claudePricing: { asOf: string; source: string };

  /** The date and source of the prices a report over these agents used: the older date, both sources. */
  pricingOf(agents: readonly AgentName[]): { asOf: string; source: string } {
    const tables = [
      ...(agents.includes('codex') ? [{ asOf: this.asOf, source: this.source }] : []),
      ...(agents.includes('claude') ? [this.claudePricing] : []),
    ];
    if (tables.length === 1) return tables[0]!;
    return { asOf: [this.asOf, this.claudePricing.asOf].sort()[0]!, source: `${this.source}; ${this.claudePricing.source}` };
  }

  /** The model's price: its own, else (a dated snapshot) its base model's, else Anthropic's rules; null when unknown. */
  priceOf(model: string): ModelPrice | null {
    let found = this.found.get(model);
    if (found === undefined) {
      // Asked for every row of every report (a /usage by day: thousands): resolved once per name.
      if (this.found.size >= PRICE_MEMO_MAX) this.found.clear();
      this.found.set(model, (found = this.resolve(model)));
    }
    return found;
  }

  private readonly found = new Map<string, ModelPrice | null>();

  private resolve(model: string): ModelPrice | null {
    const name = model.toLowerCase();
    const openai = this.models.get(name) ?? (DATE_SUFFIX.test(name) ? (this.models.get(name.replace(DATE_SUFFIX, '')) ?? null) : null);
    if (openai !== null) return openai;
    const claude = anthropicPriceOf(name, this.anthropic);
    return claude === null ? null : fromAnthropic(claude);
  }

  /** The cost of `t` tokens of `model` in USD, or null when the model has no price (never $0). */
  cost(model: string, t: TokenCounts): number | null {
    const p = this.priceOf(model);
    return p === null ? null : costOf(p, t);
  }
}
