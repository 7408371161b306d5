import { sortUsageRows, type GroupBy, type UsageRow } from './grouping.js';
import { PRICED_FIELDS, addPriced, sumByModel } from './priced-sums.js';
import type { PricedTokens } from './tally.js';
import type { UsageReport } from './usage-report.js';

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
  const zero: PricedTokens = { ...Object.fromEntries(PRICED_FIELDS.map((f) => [f, 0])), costUSD: 0 } as PricedTokens;
  return { groupBy, tz, rows: [], rowsOmitted: 0, totals: zero, unpricedModels: [], pricing };
}
