import { readFileSync } from 'node:fs';
import { isObject } from '../sources/common/json.js';
import { BUILT_IN_PRICES, type ModelPrice, type PriceTable } from './price-table.js';
import type { TokenCounts } from '../sources/common/tokens.js';

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
const FILE_KEYS = new Set(['asOf', 'source', 'models']);
const MODEL_KEYS = new Set([...PRICE_FIELDS, 'source']);

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
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new PricingFileError(`${where}.${field} must be a number ≥ 0 (USD per 1M tokens)`);
    }
    return n;
  });
  const [input, cachedInput, output] = numbers as [number, number, number];
  return { input, cachedInput, output, source: optionalString(value.source, `${where}.source`) ?? fileSource };
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

/** Rule 7, per 1M tokens: uncached input, cached input and output each at their price; reasoning is inside output. */
export function costOf(p: ModelPrice, t: TokenCounts): number {
  return ((t.inputTokens - t.cachedInputTokens) * p.input + t.cachedInputTokens * p.cachedInput + t.outputTokens * p.output) / 1_000_000;
}

/** Dollars without float noise (sums of products of decimals): 10 decimal places. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e10) / 1e10;

/** The prices in force: the built-in table with a `--pricing` file's models over it. */
export class PriceBook {
  readonly asOf: string;
  readonly source: string;
  private readonly models: Map<string, ModelPrice>;

  constructor(overrides: PricingOverrides | null = null, table: PriceTable = BUILT_IN_PRICES) {
    this.models = new Map(Object.entries(table.models).map(([name, p]) => [name.toLowerCase(), p]));
    for (const [name, p] of Object.entries(overrides?.models ?? {})) this.models.set(name, p);
    this.asOf = overrides?.asOf ?? table.asOf;
    this.source = overrides === null ? table.source : `${table.source}; overridden by ${overrides.source ?? 'a --pricing file'}`;
  }

  /** The model's price: its own, else (a dated snapshot) its base model's; null when unknown. */
  priceOf(model: string): ModelPrice | null {
    const name = model.toLowerCase();
    return this.models.get(name) ?? (DATE_SUFFIX.test(name) ? (this.models.get(name.replace(DATE_SUFFIX, '')) ?? null) : null);
  }

  /** The cost of `t` tokens of `model` in USD, or null when the model has no price (never $0). */
  cost(model: string, t: TokenCounts): number | null {
    const p = this.priceOf(model);
    return p === null ? null : costOf(p, t);
  }
}
