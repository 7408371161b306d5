// The table beneath the Usage page's charts: one row per group of GET /usage, and the totals.
import type { TokenCounts, UsageReport, UsageRow } from '../api/types.js';
import { integer, projectName } from '../format.js';
import { href } from '../router.js';
import { Cost, unpricedOf } from '../ui/cost.js';

export const GROUPS: Record<string, string> = {
  day: 'Day',
  week: 'Week',
  month: 'Month',
  model: 'Model',
  cwd: 'Project',
  source: 'Source',
  provider: 'Provider',
  session: 'Session',
};

const TIME_GROUPS = new Set(['day', 'week', 'month']);

/** A row's group as a reader wants it: projects and sessions link to their sessions. */
function GroupLabel({ row, group }: { row: UsageRow; group: string }) {
  const key = row.key;
  if (key === null) {
    return <span class="muted">{group === 'cwd' ? '(no project)' : TIME_GROUPS.has(group) ? '(no time)' : '(unknown)'}</span>;
  }
  if (group === 'cwd') {
    return (
      <a href={href.sessions(new URLSearchParams({ cwd: key }))} data-nav>
        {projectName(key) || key}
      </a>
    );
  }
  if (group === 'session') {
    return (
      <a href={href.session(key)} data-nav>
        {key}
      </a>
    );
  }
  return <>{key}</>;
}

function Counts({ t }: { t: TokenCounts }) {
  return (
    <>
      <td>{integer(t.inputTokens)}</td>
      <td>{integer(t.cachedInputTokens)}</td>
      <td>{integer(t.outputTokens)}</td>
      <td>{integer(t.reasoningOutputTokens)}</td>
      <td>{integer(t.totalTokens)}</td>
    </>
  );
}

export function UsageTable({ report, group }: { report: UsageReport; group: string }) {
  const { rows, totals } = report;
  return (
    <>
      <table class={`usage-table group-${group}`}>
        <caption class="offscreen">Usage by {GROUPS[group]?.toLowerCase()}</caption>
        <thead>
          <tr>
            <th scope="col">{GROUPS[group]}</th>
            <th scope="col">Sessions</th>
            <th scope="col">Input</th>
            <th scope="col">Cached</th>
            <th scope="col">Output</th>
            <th scope="col">Reasoning</th>
            <th scope="col">Total</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key ?? ''}>
              <th scope="row" title={r.key ?? ''}>
                <GroupLabel row={r} group={group} />
              </th>
              <td>{integer(r.sessions)}</td>
              <Counts t={r} />
              <td>
                <Cost costUSD={r.costUSD} unpriced={unpricedOf(r.byModel)} />
              </td>
            </tr>
          ))}
        </tbody>
        {rows.length > 0 && (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td />
              <Counts t={totals} />
              <td>
                <Cost costUSD={totals.costUSD} unpriced={report.unpricedModels} />
              </td>
            </tr>
          </tfoot>
        )}
      </table>
      {rows.length === 0 && <p class="empty">No token usage in these days.</p>}
      {report.rowsOmitted > 0 && (
        <p class="muted">
          {integer(report.rowsOmitted)} more rows not shown (the total counts them).
        </p>
      )}
    </>
  );
}
