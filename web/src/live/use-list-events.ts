import { useEffect, useRef, useState } from 'preact/hooks';
import { streamEvents, type StreamState } from '../api/sse.js';
import type { SessionEvent, SessionSummary } from '../api/types.js';
import type { Filters } from '../sessions/filters.js';
import { applySessionEvent, eventParams } from './list-events.js';

/**
 * Keeps a loaded list current from GET /events. `reset` (the server's buffer no longer
 * covers our position) reloads the list from its first page.
 */
export function useListEvents(
  filters: Filters,
  setItems: (change: (items: SessionSummary[]) => SessionSummary[]) => void,
  complete: boolean,
  reload: () => void,
  onSession: (event: SessionEvent) => void = () => {},
): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const latest = useRef({ filters, setItems, complete, reload, onSession });
  latest.current = { filters, setItems, complete, reload, onSession };
  const key = JSON.stringify(filters);
  useEffect(() => {
    const controller = new AbortController();
    void streamEvents('events', {
      params: eventParams(filters),
      signal: controller.signal,
      onState: setState,
      onEvent: (event) => {
        const l = latest.current;
        if (event.event === 'reset') return l.reload();
        if (event.event !== 'session') return;
        const data = JSON.parse(event.data) as SessionEvent;
        l.setItems((items) => applySessionEvent(items, data, l.filters, l.complete));
        l.onSession(data);
      },
    });
    return () => controller.abort();
  }, [key]);
  return state;
}
