// Usage and cost (GET /usage, SPEC §6): tokens and cost per day stacked by model, the projects
// that used them, and the table beneath. Days are in the browser's time zone (`tz`).
// Loaded on demand (with uPlot) the first time the Usage page opens.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, isAbort } from '../api/client.js';
import type { UsageReport, UsageRow } from '../api/types.js';
import { compact, integer, projectName, usd } from '../format.js';
import { href, replaceRoute } from '../router.js';
import { ErrorBanner } from '../ui/error-banner.js';
import { Select } from '../ui/select.js';
import { StackedChart } from './stacked-chart.js';
import { daysBetween, fillDays, stackByModel } from './stacked.js';

const RANGES = [7, 30, 90, 365];
const GROUPS: Record<string, string> = {
  day: 'Day',
  week: 'Week',
  month: 'Month',
  model: 'Model',
  cwd: 'Project',
  source: 'Source',
  provider: 'Provider',
};

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function today(tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function minusDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
}

function useReport(groupBy: string, since: string, until: string, tz: string) {
  const [state, setState] = useState<{ report: UsageReport | null; error: unknown }>({ report: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    setState({ report: null, error: null });
    getJson<UsageReport>('usage', { groupBy, since, until, tz }, controller.signal).then(
      (report) => setState({ report, error: null }),
      (error: unknown) => !isAbort(error) && setState({ report: null, error }),
    );
    return () => controller.abort();
  }, [groupBy, since, until, tz]);
  return state;
}

const cost = (v: number | null) => (v === null ? 'n/a' : usd(v));

function Table({ rows, group }: { rows: UsageRow[]; group: string }) {
  return (
    <table class="usage-table">
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
          <tr key={r.key}>
            <th scope="row" title={r.key}>
              {group === 'cwd' ? <a href={href.sessions(new URLSearchParams({ cwd: r.key }))}>{projectName(r.key) || r.key}</a> : r.key}
            </th>
            <td>{integer(r.sessions)}</td>
            <td>{integer(r.inputTokens)}</td>
            <td>{integer(r.cachedInputTokens)}</td>
            <td>{integer(r.outputTokens)}</td>
            <td>{integer(r.reasoningOutputTokens)}</td>
            <td>{integer(r.totalTokens)}</td>
            <td>{cost(r.costUSD)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Projects({ rows }: { rows: UsageRow[] }) {
  const top = rows.slice(0, 12);
  const max = Math.max(1, ...top.map((r) => r.totalTokens));
  return (
    <ul class="bars" aria-label="Tokens by project">
      {top.map((r) => (
        <li key={r.key} title={r.key}>
          <span class="bar-label">{projectName(r.key) || r.key}</span>
          <span class="bar" role="presentation">
            <span class="bar-fill" style={{ width: `${(100 * r.totalTokens) / max}%` }} />
          </span>
          <span class="bar-value">
            {compact(r.totalTokens)} · {cost(r.costUSD)}
          </span>
        </li>
      ))}
    </ul>
  );
}

export default function UsageView({ query }: { query: URLSearchParams }) {
  const tz = browserZone();
  const range = Number(query.get('range')) || 30;
  const group = GROUPS[query.get('group') ?? ''] ? (query.get('group') as string) : 'day';
  const until = today(tz);
  const since = minusDays(until, range - 1);
  const daily = useReport('day', since, until, tz);
  const projects = useReport('cwd', since, until, tz);
  const table = useReport(group, since, until, tz);
  const days = useMemo(() => (daily.report ? fillDays(daily.report.rows, daysBetween(since, until)) : []), [daily.report]);
  const tokens = useMemo(() => stackByModel(days, 'tokens'), [days]);
  const costs = useMemo(() => stackByModel(days, 'cost'), [days]);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    next.set(name, value);
    replaceRoute(href.usage(next));
  };
  const totals = daily.report?.totals;
  return (
    <section class="view usage-view" aria-labelledby="usage-title">
      <div class="view-head">
        <h1 id="usage-title">Usage</h1>
        <div class="segmented" role="group" aria-label="Period">
          {RANGES.map((r) => (
            <button type="button" key={r} class="btn" aria-pressed={r === range} onClick={() => set('range', String(r))}>
              {r} days
            </button>
          ))}
        </div>
        <span class="muted">
          {since} – {until} ({tz})
        </span>
      </div>
      <ErrorBanner error={daily.error} what="Could not load usage:" />
      {totals && (
        <div class="totals">
          <div>
            <strong>{compact(totals.totalTokens)}</strong> tokens
          </div>
          <div>
            <strong>{cost(totals.costUSD)}</strong> estimated cost
          </div>
          {daily.report && daily.report.unpricedModels.length > 0 && (
            <div class="muted">No price for {daily.report.unpricedModels.join(', ')}: not in the cost.</div>
          )}
          {daily.report && <div class="muted">Prices as of {daily.report.pricing.asOf}</div>}
        </div>
      )}
      {daily.report && (
        <div class="charts">
          <figure>
            <figcaption>Tokens per day, by model</figcaption>
            <StackedChart data={tokens} label="Tokens per day, stacked by model" format={compact} />
          </figure>
          <figure>
            <figcaption>Cost per day, by model</figcaption>
            <StackedChart data={costs} label="Cost per day, stacked by model" format={usd} />
          </figure>
        </div>
      )}
      {projects.report && projects.report.rows.length > 0 && (
        <>
          <h2>By project</h2>
          <Projects rows={projects.report.rows} />
        </>
      )}
      <div class="view-head">
        <h2>Table</h2>
        <Select
          id="u-group-by"
          label="Group by"
          value={group}
          options={Object.entries(GROUPS)}
          onChange={(e) => set('group', (e.currentTarget as HTMLSelectElement).value)}
          inline
        />
      </div>
      <ErrorBanner error={table.error} what="Could not load the table:" />
      {table.report && <Table rows={table.report.rows} group={group} />}
    </section>
  );
}
