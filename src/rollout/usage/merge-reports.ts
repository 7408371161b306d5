import { roundUsd } from './pricing.js';
import { sortUsageRows, type GroupBy, type UsageRow } from './grouping.js';
import type { PricedTokens } from './tally.js';
import type { UsageReport } from './usage-report.js';

// Sums of priced figures that were priced apart (one report per agent): tokens add up, and so do
// costs, with a model without a price left out of a sum as the tally leaves it out (tally.ts).

const FIELDS = [
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
  for (const f of FIELDS) sum[f] = a[f] + b[f];
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

/** Rows of several reports by key: a key in more than one (a day both agents spent on) is one row. */
export function mergeRows(lists: readonly UsageRow[][], groupBy: GroupBy): UsageRow[] {
  const byKey = new Map<string | null, UsageRow>();
  for (const rows of lists) {
    for (const row of rows) {
      const held = byKey.get(row.key);
      const byModel = held === undefined ? row.byModel : sumByModel([held.byModel, row.byModel]);
      const sessions = (held?.sessions ?? 0) + row.sessions;
      byKey.set(row.key, held === undefined ? row : { ...addPriced(held, row), key: row.key, sessions, byModel });
    }
  }
  return sortUsageRows([...byKey.values()], groupBy);
}

/**
 * One report from one report per agent (each asked without a row limit): rows merged by key and
 * cut to `limit`, totals summed, the unpriced models of all, the pricing of all.
 */
export function mergeReports(reports: readonly UsageReport[], limit: number, pricing: UsageReport['pricing']): UsageReport {
  const [first] = reports;
  if (first === undefined) throw new Error('no report to merge');
  // groupBy=agent and =machine sort as the other non-time groups do (by tokens).
  const order = first.groupBy === 'agent' || first.groupBy === 'machine' ? 'model' : first.groupBy;
  const rows = mergeRows(reports.map((r) => r.rows), order);
  return {
    groupBy: first.groupBy,
    tz: first.tz,
    rows: rows.slice(0, limit),
    rowsOmitted: Math.max(0, rows.length - limit),
    totals: reports.slice(1).reduce((sum, r) => addPriced(sum, r.totals), first.totals),
    unpricedModels: [...new Set(reports.flatMap((r) => r.unpricedModels))].sort(),
    pricing,
  };
}

/** A report with no usage: no rows, zero tokens, $0. */
export function emptyReport(groupBy: UsageReport['groupBy'], tz: string, pricing: UsageReport['pricing']): UsageReport {
  const zero: PricedTokens = { ...Object.fromEntries(FIELDS.map((f) => [f, 0])), costUSD: 0 } as PricedTokens;
  return { groupBy, tz, rows: [], rowsOmitted: 0, totals: zero, unpricedModels: [], pricing };
}
