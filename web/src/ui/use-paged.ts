// Cursor paging for infinite scroll (the list and search): a page at a time, in order, and a
// new first page (the old request cancelled) whenever the query changes.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getJson, isAbort, type Params } from '../api/client.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** GET /conversations: how many items match, on a first page when the server's index can count them. */
  total?: number;
}

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  /** False once the server said no more items follow. */
  more: boolean;
  /** The first page's `total`, or the last one `setTotal` gave; null when the server did not count. */
  total: number | null;
  /** Changes with the query and after each page: the infinite-scroll sentinel checks again then. */
  generation: string;
  loadMore: () => void;
  /** For live updates: change the loaded items in place. */
  setItems: (update: (items: T[]) => T[]) => void;
  /** For live updates: a total counted again since the first page. */
  setTotal: (total: number | null) => void;
  /** Starts again from the first page. */
  reload: () => void;
}

interface State<T> {
  key: string;
  items: T[];
  cursor: string | null;
  more: boolean;
  total: number | null;
  pages: number;
  error: unknown;
  epoch: number;
}

const fresh = <T>(key: string, epoch = 0): State<T> => ({
  key,
  items: [],
  cursor: null,
  more: true,
  total: null,
  pages: 0,
  error: null,
  epoch,
});

export function usePaged<T>(path: string, params: Params, enabled = true): Paged<T> {
  const key = JSON.stringify([path, params]);
  const [stored, setState] = useState<State<T>>(() => fresh(key));
  const [loading, setLoading] = useState(false);
  const inflight = useRef<{ key: string; controller: AbortController } | null>(null);
  const state = stored.key === key ? stored : fresh<T>(key);
  // A request for another query is cancelled as soon as the query changes.
  if (inflight.current !== null && inflight.current.key !== key) {
    inflight.current.controller.abort();
    inflight.current = null;
  }

  const loadMore = useCallback(() => {
    if (!enabled || inflight.current !== null || !state.more || state.error !== null) return;
    const controller = new AbortController();
    inflight.current = { key, controller };
    setLoading(true);
    const update = (change: (s: State<T>) => Partial<State<T>>) =>
      setState((s) => {
        const base = s.key === key ? s : fresh<T>(key);
        return { ...base, ...change(base) };
      });
    getJson<Page<T>>(path, { ...params, cursor: state.cursor }, controller.signal)
      .then((page) => {
        if (controller.signal.aborted) return;
        update((s) => ({
          items: [...s.items, ...page.items],
          cursor: page.nextCursor,
          more: page.nextCursor !== null,
          total: s.pages === 0 ? (page.total ?? null) : s.total,
          pages: s.pages + 1,
        }));
      })
      .catch((error: unknown) => {
        if (!isAbort(error) && !controller.signal.aborted) update(() => ({ error }));
      })
      .finally(() => {
        if (inflight.current?.controller === controller) {
          inflight.current = null;
          setLoading(false);
        }
      });
  }, [key, state.cursor, state.more, state.error, enabled]);

  useEffect(() => () => inflight.current?.controller.abort(), []);

  const reload = useCallback(() => {
    inflight.current?.controller.abort();
    inflight.current = null;
    setState((s) => fresh<T>(key, s.epoch + 1));
  }, [key]);

  const setItems = useCallback(
    (change: (items: T[]) => T[]) => setState((s) => (s.key === key ? { ...s, items: change(s.items) } : s)),
    [key],
  );
  const setTotal = useCallback((total: number | null) => setState((s) => (s.key === key && s.pages > 0 ? { ...s, total } : s)), [key]);
  return {
    items: state.items,
    loading: loading && inflight.current !== null,
    error: state.error,
    more: state.more,
    total: state.total,
    generation: `${key}#${state.epoch}#${state.pages}#${enabled}`,
    loadMore,
    setItems,
    setTotal,
    reload,
  };
}
