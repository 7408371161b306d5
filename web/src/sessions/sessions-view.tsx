import { useMemo, useRef } from 'preact/hooks';
import type { SessionEvent, SessionSummary } from '../api/types.js';
import { useListEvents } from '../live/use-list-events.js';
import { needsUsage, useUsageRefresh, type RowRef } from '../live/usage-refresh.js';
import { href, replaceRoute } from '../router.js';
import { ErrorBanner } from '../ui/error-banner.js';
import { useMachines } from '../ui/machine.js';
import { Sentinel } from '../ui/sentinel.js';
import { usePaged } from '../ui/use-paged.js';
import { FilterBar } from './filter-bar.js';
import { filtersFrom, isFiltered, listParams, queryFrom, type Filters } from './filters.js';
import { countText, useTotalRecount } from './list-total.js';
import { ListHeader, SessionRow } from './session-row.js';
import { useSuggestions } from './suggestions.js';

/** The list's item of one session (an id on one machine, in team mode). */
const isRow = (item: SessionSummary, ref: RowRef) => item.id === ref.id && item.machine === ref.machine;

export function SessionsView({ query }: { query: URLSearchParams }) {
  const filters = filtersFrom(query);
  const params = useMemo(() => listParams(filters), [query.toString()]);
  const list = usePaged<SessionSummary>('conversations', params);
  const loaded = useRef(list.items);
  loaded.current = list.items;
  const listKey = JSON.stringify(params);
  const refresh = useUsageRefresh(
    (ref, usage) => list.setItems((items) => items.map((i) => (isRow(i, ref) ? { ...i, usage } : i))),
    (ref) => loaded.current.some((i) => isRow(i, ref)),
    listKey,
  );
  const recount = useTotalRecount(params, filters, list.more ? list.total : null, list.setTotal, listKey);
  // Only where the list shows counts (a server with an index): without one, rows stay "—" as after a reload.
  const counted = list.items.some((i) => i.usage != null);
  const onSession = (event: SessionEvent) => {
    recount.onEvent(event, loaded.current);
    const { session } = event;
    if (counted && event.change !== 'removed' && needsUsage(session)) refresh.changed({ id: session.id, machine: session.machine });
  };
  const live = useListEvents(filters, list.setItems, !list.more, list.reload, onSession);
  // Asked once the first page is in (or the list has failed): see suggestions.ts.
  const { projects, providers, unpriced } = useSuggestions(list.items, list.items.length > 0 || !list.more || list.error !== null);
  const machines = useMachines();
  const now = Date.now();
  const onChange = (next: Filters) => replaceRoute(href.sessions(queryFrom(next)));
  const empty = !list.more && list.items.length === 0 && list.error === null;
  return (
    <section class="view sessions-view" aria-labelledby="sessions-title">
      <div class="view-head">
        <h1 id="sessions-title">Sessions</h1>
        <span class="muted count" aria-live="polite">
          {countText(list.items.length, list.more, list.total)}
        </span>
        {live === 'live' && (
          <span class="live-dot" title="New sessions appear as they are written">
            live
          </span>
        )}
      </div>
      <FilterBar value={filters} onChange={onChange} projects={projects} providers={providers} machines={machines} />
      <ErrorBanner error={list.error} what="Could not load sessions:" />
      <ListHeader sort={filters.sort} />
      <ul class="rows" aria-label="Sessions" aria-busy={list.loading}>
        {list.items.map((item) => (
          <SessionRow key={`${item.machine ?? ''}/${item.id}`} item={item} sort={filters.sort} now={now} unpriced={unpriced} />
        ))}
      </ul>
      {empty && <p class="empty">{isFiltered(filters) ? 'No session matches these filters.' : 'No sessions yet.'}</p>}
      {list.more && list.error === null && <Sentinel onVisible={list.loadMore} generation={list.generation} />}
      {list.loading && <p class="loading muted">Loading…</p>}
    </section>
  );
}
