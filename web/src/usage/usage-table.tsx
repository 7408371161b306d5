// The table beneath the Usage page's charts: one row per group of GET /usage, and the totals.
import { useState } from 'preact/hooks';
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
  agent: 'Agent',
};

/** A team server's groups besides (docs/team.md): by the machine that pushed the sessions. */
export const TEAM_GROUPS: Record<string, string> = { ...GROUPS, machine: 'Machine' };

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
  if (group === 'machine') {
    return (
      <a href={href.sessions(new URLSearchParams({ machine: key }))} data-nav>
        {key}
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
  // Claude's cache writes are part of its input (docs/usage.md, "Both agents"): said on the input cell, not a column of zeros for Codex.
  const writes = (t.cacheWrite5mTokens ?? 0) + (t.cacheWrite1hTokens ?? 0);
  return (
    <>
      <td class="c-in" title={writes > 0 ? `of which ${integer(writes)} written to the prompt cache` : undefined}>
        {integer(t.inputTokens)}
      </td>
      <td class="c-cached">{integer(t.cachedInputTokens)}</td>
      <td class="c-out">{integer(t.outputTokens)}</td>
      <td class="c-reasoning">{integer(t.reasoningOutputTokens)}</td>
      <td>{integer(t.totalTokens)}</td>
    </>
  );
}

/** Rows drawn at once: a year of days, or a thousand sessions, is paged instead of drawn whole. */
export const TABLE_PAGE = 100;

function Pager({ page, pages, rows, onPage }: { page: number; pages: number; rows: number; onPage: (page: number) => void }) {
  if (pages <= 1) return null;
  const first = page * TABLE_PAGE + 1;
  const last = Math.min(rows, (page + 1) * TABLE_PAGE);
  return (
    <nav class="pager" aria-label="Table pages">
      <button type="button" class="btn" disabled={page === 0} onClick={() => onPage(page - 1)}>
        ‹ Previous
      </button>
      <span class="muted" aria-live="polite">
        Rows {integer(first)}–{integer(last)} of {integer(rows)}
      </span>
      <button type="button" class="btn" disabled={page >= pages - 1} onClick={() => onPage(page + 1)}>
        Next ›
      </button>
    </nav>
  );
}

/** The report's rows, TABLE_PAGE at a time (give it a `key` per report, so that a new one starts at its first page). */
export function UsageTable({ report, group }: { report: UsageReport; group: string }) {
  const { totals } = report;
  const [page, setPage] = useState(0);
  const pages = Math.ceil(report.rows.length / TABLE_PAGE);
  const rows = report.rows.slice(page * TABLE_PAGE, (page + 1) * TABLE_PAGE);
  return (
    <>
      <div class="table-scroll">
        <table class={`usage-table group-${group}`}>
          <caption class="offscreen">Usage by {TEAM_GROUPS[group]?.toLowerCase()}</caption>
          <thead>
            <tr>
              <th scope="col">{TEAM_GROUPS[group]}</th>
              <th scope="col">Sessions</th>
              <th scope="col" class="c-in">
                Input
              </th>
              <th scope="col" class="c-cached">
                Cached
              </th>
              <th scope="col" class="c-out">
                Output
              </th>
              <th scope="col" class="c-reasoning">
                Reasoning
              </th>
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
      </div>
      <p class="phone-note muted">Input, cached, output and reasoning tokens: on a wider screen.</p>
      <Pager page={page} pages={pages} rows={report.rows.length} onPage={setPage} />
      {rows.length === 0 && <p class="empty">No token usage in these days.</p>}
      {report.rowsOmitted > 0 && (
        <p class="muted">
          {integer(report.rowsOmitted)} more rows not shown (the total counts them).
        </p>
      )}
    </>
  );
}
