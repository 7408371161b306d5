// Usage rows → per-model series stacked for bar charts. No DOM: unit-tested in Node.
import type { UsageRow } from '../api/types.js';

export interface Stacked {
  /** Bucket keys in order (days: YYYY-MM-DD in the requested time zone). */
  keys: string[];
  /** Models by total, largest first (drawn at the bottom of each bar). */
  models: string[];
  /** values[m][i]: model m's own value in bucket i. */
  values: number[][];
  /** tops[m][i]: the top of model m's segment (its value plus the models below it). */
  tops: number[][];
}

export type Metric = 'tokens' | 'cost';

function valueOf(row: UsageRow, model: string, metric: Metric): number {
  const m = row.byModel[model];
  if (!m) return 0;
  return metric === 'tokens' ? m.totalTokens : (m.costUSD ?? 0);
}

/** A model the cost chart leaves out: it has no price anywhere (drawn, it would read as $0). */
function unpriced(rows: UsageRow[], model: string): boolean {
  return rows.every((row) => (row.byModel[model]?.costUSD ?? null) === null);
}

/** `rows` are time buckets (fillDays): their keys are never null. */
export function stackByModel(rows: UsageRow[], metric: Metric): Stacked {
  const totals = new Map<string, number>();
  for (const row of rows)
    for (const model of Object.keys(row.byModel)) {
      if (metric === 'cost' && unpriced(rows, model)) continue;
      totals.set(model, (totals.get(model) ?? 0) + valueOf(row, model, metric));
    }
  const models = [...totals.keys()].sort((a, b) => (totals.get(b) as number) - (totals.get(a) as number) || a.localeCompare(b));
  const values = models.map((model) => rows.map((row) => valueOf(row, model, metric)));
  const tops: number[][] = [];
  values.forEach((own, m) => tops.push(own.map((v, i) => v + (m === 0 ? 0 : ((tops[m - 1] as number[])[i] as number)))));
  return { keys: rows.map((r) => r.key ?? ''), models, values, tops };
}

/** The days from `since` to `until` (YYYY-MM-DD, inclusive), so that a day without usage is an empty bar. */
export function daysBetween(since: string, until: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${until}T00:00:00Z`);
  for (let t = Date.parse(`${since}T00:00:00Z`); t <= end && days.length < 3700; t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** A bucket without usage. */
export function emptyRow(key: string): UsageRow {
  return {
    key,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    costUSD: 0,
    sessions: 0,
    byModel: {},
  };
}

/**
 * Rows for every day of the range, in order; days the server did not list are zero. A row
 * without a day (responses without a time) has no place on a time axis: it is in the totals
 * and in the table.
 */
export function fillDays(rows: UsageRow[], days: string[]): UsageRow[] {
  const byKey = new Map(rows.flatMap((r) => (r.key === null ? [] : [[r.key, r] as const])));
  return days.map((d) => byKey.get(d) ?? emptyRow(d));
}
