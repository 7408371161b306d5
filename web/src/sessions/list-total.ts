// How many sessions the list holds (docs/dashboard.md, "How many sessions"). The server counts
// them on a first page when its index is complete (`total`); live events can change that number,
// and only the server can tell by how much (a session past the loaded pages, one that just got
// its first message), so an event that may change it has the total asked for again
// (`limit=0`: the count without rows), at most once per REFRESH_MS.
import { useEffect, useRef } from 'preact/hooks';
import { getJson, type Params } from '../api/client.js';
import type { SessionEvent, SessionSummary } from '../api/types.js';
import { integer } from '../format.js';
import { inArchiveView, matchesLocally } from '../live/list-events.js';
import { REFRESH_MS } from '../live/usage-refresh.js';
import type { Filters } from './filters.js';

/**
 * The list's count line. With the whole list loaded its rows are the count; otherwise the
 * server's total when it gave one (never fewer than the rows shown), else what is known.
 */
export function countText(shown: number, more: boolean, total: number | null): string {
  if (shown === 0) return '';
  if (total === null) return `${integer(shown)} shown${more ? ', more as you scroll' : ''}`;
  if (!more) return `${integer(shown)} ${shown === 1 ? 'session' : 'sessions'}`;
  return `${integer(shown)} of ${integer(Math.max(total, shown))} shown`;
}

/** Whether a session is one of the list's after `event`, as far as the browser can tell (the stream applies the other filters). */
function listedAfter(event: SessionEvent, f: Filters): boolean {
  return event.change !== 'removed' && inArchiveView(event.session, f) && matchesLocally(event.session, f);
}

/**
 * Whether `event` may change how many sessions match. `known` holds, per session seen in an
 * event, whether it was listed after it; a loaded row is listed. A session the list has not
 * seen may be a new one or one that just got its first user message: asked.
 */
export function mayChangeTotal(event: SessionEvent, f: Filters, loaded: readonly SessionSummary[], known: Map<string, boolean>): boolean {
  const { id } = event.session;
  const before = event.change === 'created' ? false : (known.get(id) ?? (loaded.some((i) => i.id === id) ? true : undefined));
  const after = listedAfter(event, f);
  known.set(id, after);
  return before !== after;
}

interface RecountState {
  known: Map<string, boolean>;
  timer: ReturnType<typeof setTimeout> | null;
  busy: boolean;
  /** Another event came while a request was out: ask again after it. */
  again: boolean;
}

const freshRecount = (): RecountState => ({ known: new Map(), timer: null, busy: false, again: false });

export interface TotalRecount {
  /** A session event arrived; `loaded` is the list before it was applied. */
  onEvent: (event: SessionEvent, loaded: readonly SessionSummary[]) => void;
}

/**
 * Asks for the list's total again after events that may change it, while the list has one.
 * Everything is dropped when the list's query (`listKey`) changes.
 */
export function useTotalRecount(
  params: Params,
  filters: Filters,
  total: number | null,
  setTotal: (total: number | null) => void,
  listKey: string,
): TotalRecount {
  const latest = useRef({ params, filters, total, setTotal });
  latest.current = { params, filters, total, setTotal };
  const state = useRef(freshRecount());
  const controller = useRef(new AbortController());

  useEffect(() => {
    const s = state.current;
    return () => {
      controller.current.abort();
      controller.current = new AbortController();
      clearTimeout(s.timer ?? undefined);
      state.current = freshRecount();
    };
  }, [listKey]);

  const recount = () => {
    const s = state.current;
    s.timer = null;
    s.busy = true;
    s.again = false;
    const { signal } = controller.current;
    getJson<{ total?: number }>('conversations', { ...latest.current.params, limit: 0 }, signal)
      .then((page) => {
        if (!signal.aborted) latest.current.setTotal(page.total ?? null);
      })
      .catch(() => {}) // cancelled, or a failure: the count stays as it was until the next event
      .finally(() => {
        if (signal.aborted) return;
        s.busy = false;
        if (s.again) s.timer = setTimeout(recount, REFRESH_MS);
      });
  };

  return {
    onEvent: (event, loaded) => {
      const s = state.current;
      if (!mayChangeTotal(event, latest.current.filters, loaded, s.known) || latest.current.total === null) return;
      if (s.busy) s.again = true;
      else if (s.timer === null) s.timer = setTimeout(recount, REFRESH_MS);
    },
  };
}
