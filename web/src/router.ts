// Hash routes (#/, #/session/<id>?line=N, #/search?q=..., #/usage?...): the server only ever
// serves index.html at the dashboard's root, so the page works under any path prefix, and a
// reload or a shared link keeps the view and its filters.
import { useEffect, useState } from 'preact/hooks';

export type View = 'sessions' | 'session' | 'search' | 'usage';

export interface Route {
  view: View;
  /** The session id of the `session` view: a UUID, or null when the link holds something else. */
  id: string | null;
  /** What a `session` link held instead of a UUID (shown, never fetched or copied). */
  badId?: string;
  query: URLSearchParams;
}

/** A session id as the API takes it (a UUID of any version, any case; the server's INVALID_ID rule). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id of `#/session/<id>`: only a UUID, so that nothing else reaches a request URL or the clipboard. */
function sessionRoute(raw: string, query: URLSearchParams): Route {
  let id = raw;
  try {
    id = decodeURIComponent(raw);
  } catch {
    // a malformed escape: not an id either
  }
  return UUID.test(id) ? { view: 'session', id, query } : { view: 'session', id: null, badId: id, query };
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const at = raw.indexOf('?');
  const path = at === -1 ? raw : raw.slice(0, at);
  const query = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'session' && parts[1]) return sessionRoute(parts[1], query);
  if (parts[0] === 'search') return { view: 'search', id: null, query };
  if (parts[0] === 'usage') return { view: 'usage', id: null, query };
  return { view: 'sessions', id: null, query };
}

function withQuery(path: string, query: URLSearchParams | Record<string, string | number | null | undefined>): string {
  const params = query instanceof URLSearchParams ? query : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  }
  const text = params.toString();
  return `#${path}${text === '' ? '' : `?${text}`}`;
}

export const href = {
  sessions: (query: URLSearchParams = new URLSearchParams()) => withQuery('/', query),
  /** `machine`: a team server's copy of the session (an id may be on several machines). */
  session: (id: string, line?: number, machine?: string) => withQuery(`/session/${encodeURIComponent(id)}`, { line, machine }),
  search: (query: URLSearchParams | Record<string, string>) => withQuery('/search', query),
  usage: (query: URLSearchParams = new URLSearchParams()) => withQuery('/usage', query),
};

/** Replaces the current history entry (filter changes) instead of adding one per keystroke. */
export function replaceRoute(target: string): void {
  history.replaceState(null, '', target);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
