// Usage and cost (GET /usage, docs/usage.md): tokens and cost per day stacked by model, the projects
// that used them, and the table beneath. Days are in the browser's time zone, sent as `tz`, so
// that a day is the reader's day. Loaded on demand (with uPlot) the first time the page opens.
import { useMemo } from 'preact/hooks';
import type { UsageRow } from '../api/types.js';
import { compact, projectName, usd, usdAxis } from '../format.js';
import { href, replaceRoute } from '../router.js';
import { Cost, unpricedOf } from '../ui/cost.js';
import { ErrorBanner } from '../ui/error-banner.js';
import { Select } from '../ui/select.js';
import { modelColors, StackedChart } from './stacked-chart.js';
import { daysBetween, fillDays, stackByModel } from './stacked.js';
import { useReport, waitingFor } from './use-report.js';
import { UsageWaiting } from './usage-waiting.js';
import { GROUPS, TEAM_GROUPS, UsageTable } from './usage-table.js';
import { machineOptions, machineParam, useMachines } from '../ui/machine.js';

/** Periods in days ending today; 'all' has no start (the charts start at the first day with usage). */
const RANGES: [string, string][] = [
  ['7', '7 days'],
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '365 days'],
  ['all', 'All'],
];
const PROJECT_BARS = 12;

export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function today(tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function minusDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
}

/** The by-project view: tokens per project as bars, each leading to that project's sessions. */
function Projects({ rows }: { rows: UsageRow[] }) {
  const top = rows.slice(0, PROJECT_BARS);
  const max = Math.max(1, ...top.map((r) => r.totalTokens));
  return (
    <ul class="bars" aria-label="Tokens by project">
      {top.map((r) => (
        <li key={r.key ?? ''} title={r.key ?? 'sessions without a cwd'}>
          {r.key === null ? (
            <span class="bar-label muted">(no project)</span>
          ) : (
            <a class="bar-label" href={href.sessions(new URLSearchParams({ cwd: r.key }))} data-nav>
              {projectName(r.key) || r.key}
            </a>
          )}
          <span class="bar" role="presentation">
            <span class="bar-fill" style={{ width: `${(100 * r.totalTokens) / max}%` }} />
          </span>
          <span class="bar-value">
            {compact(r.totalTokens)} · <Cost costUSD={r.costUSD} unpriced={unpricedOf(r.byModel)} />
          </span>
        </li>
      ))}
    </ul>
  );
}

export default function UsageView({ query }: { query: URLSearchParams }) {
  const tz = browserZone();
  const range = RANGES.some(([r]) => r === query.get('range')) ? (query.get('range') as string) : '30';
  // Team mode: a machine filter and groups by machine (none of it over one home).
  const machines = useMachines();
  const groups = machines === null ? GROUPS : TEAM_GROUPS;
  const machine = machines === null ? undefined : machineParam(query);
  const group = groups[query.get('group') ?? ''] ? (query.get('group') as string) : 'day';
  const until = today(tz);
  const since = range === 'all' ? null : minusDays(until, Number(range) - 1);
  const period = { ...(since === null ? {} : { since }), ...(machine === undefined ? {} : { machine }), until, tz };
  const daily = useReport({ groupBy: 'day', ...period });
  const projects = useReport({ groupBy: 'cwd', ...period });
  // Grouped by day, the table is the charts' report: no second request for it.
  const other = useReport({ groupBy: group, ...period }, group !== 'day');
  const table = group === 'day' ? daily : other;
  const first = daily.report?.rows.find((r) => r.key !== null)?.key ?? null;
  const days = useMemo(() => {
    if (!daily.report) return [];
    const start = since ?? first;
    return start === null ? [] : fillDays(daily.report.rows, daysBetween(start, until));
  }, [daily.report]);
  const tokens = useMemo(() => stackByModel(days, 'tokens'), [days]);
  const costs = useMemo(() => stackByModel(days, 'cost'), [days]);
  const colorOf = useMemo(() => modelColors(tokens.models), [tokens]);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value === '') next.delete(name);
    else next.set(name, value);
    replaceRoute(href.usage(next));
  };
  const report = daily.report;
  const unpriced = report?.unpricedModels ?? [];
  return (
    <section class="view usage-view" aria-labelledby="usage-title">
      <div class="view-head">
        <h1 id="usage-title">Usage</h1>
        <div class="segmented" role="group" aria-label="Period">
          {RANGES.map(([r, label]) => (
            <button type="button" key={r} class="btn" aria-pressed={r === range} onClick={() => set('range', r)}>
              {label}
            </button>
          ))}
        </div>
        <span class="muted period">
          {since ?? first ?? '…'} – {until} ({tz})
        </span>
        {machines !== null && (machines.length > 1 || machine !== undefined) && (
          <Select
            id="u-machine"
            label="Machine"
            value={machine ?? ''}
            options={machineOptions(machines, machine ?? '', 'every machine')}
            onChange={(e) => set('machine', (e.currentTarget as HTMLSelectElement).value)}
            inline
          />
        )}
      </div>
      {waitingFor(daily) ? <UsageWaiting state={daily} /> : <ErrorBanner error={daily.error} what="Could not load usage:" />}
      {report && (
        <div class="totals" aria-label="Totals">
          <div>
            <strong>{compact(report.totals.totalTokens)}</strong> tokens
          </div>
          <div>
            <strong>
              <Cost costUSD={report.totals.costUSD} unpriced={unpriced} />
            </strong>{' '}
            estimated cost
          </div>
          {unpriced.length > 0 && <div class="muted unpriced-note">No price for {unpriced.join(', ')}: not in the cost.</div>}
          <div class="muted">Prices as of {report.pricing.asOf}</div>
        </div>
      )}
      {report && tokens.models.length === 0 && <p class="empty">No tokens were used in these days: nothing to draw.</p>}
      {report && tokens.models.length > 0 && (
        <div class="charts">
          <figure>
            <figcaption>Tokens per day, by model</figcaption>
            <StackedChart data={tokens} label="Tokens per day, stacked by model" format={compact} colorOf={colorOf} />
          </figure>
          <figure>
            <figcaption>Cost per day, by model</figcaption>
            {costs.models.length === 0 ? (
              <p class="chart-empty muted">
                No cost to draw: none of the models used in these days has a price ({unpriced.join(', ')}).
              </p>
            ) : (
              <StackedChart data={costs} label="Cost per day, stacked by model" format={usd} axisFormat={usdAxis} colorOf={colorOf} />
            )}
            {unpriced.length > 0 && costs.models.length > 0 && <p class="muted chart-note">Not drawn: {unpriced.join(', ')} (no price).</p>}
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
          options={Object.entries(groups)}
          onChange={(e) => set('group', (e.currentTarget as HTMLSelectElement).value)}
          inline
        />
      </div>
      {group !== 'day' && waitingFor(table) && <p class="loading muted">Loading…</p>}
      {group !== 'day' && <ErrorBanner error={table.retryIn === null ? table.error : null} what="Could not load the table:" />}
      {table.report && <UsageTable key={`${group} ${range} ${machine ?? ''}`} report={table.report} group={group} />}
    </section>
  );
}
