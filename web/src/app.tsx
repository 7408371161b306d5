import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, storedToken, subscribePrompt } from './api/auth.js';
import { installKeys } from './keyboard.js';
import { href, useRoute, type Route } from './router.js';
import { SearchView } from './search/search-view.js';
import { SessionView } from './session/session-view.js';
import { SessionsView } from './sessions/sessions-view.js';
import { TokenPrompt } from './ui/token-prompt.js';

type ViewProps = { query: URLSearchParams };

/** The Usage page and its chart library load the first time it opens, not with the list. */
function UsagePage({ query }: ViewProps) {
  const [View, setView] = useState<ComponentType<ViewProps> | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./usage/usage-view.js').then(
      (m) => setView(() => m.default),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p class="banner banner-error">Could not load the Usage page.</p>;
  return View ? <View query={query} /> : <p class="loading muted">Loading…</p>;
}

function SearchBox({ route }: { route: Route }) {
  const current = route.view === 'search' ? (route.query.get('q') ?? '') : '';
  const [value, setValue] = useState(current);
  useEffect(() => setValue(current), [current]);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const query = route.view === 'search' ? new URLSearchParams(route.query) : new URLSearchParams();
    query.set('q', value.trim());
    location.hash = href.search(query);
  };
  return (
    <form class="searchform" role="search" onSubmit={onSubmit}>
      <input
        type="search"
        role="searchbox"
        aria-label="Search all sessions"
        placeholder="Search sessions  /"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
        aria-keyshortcuts="/"
      />
    </form>
  );
}

function TokenStatus() {
  const [, setTick] = useState(0);
  useEffect(() => subscribePrompt(() => setTick((t) => t + 1)), []);
  if (storedToken() === null) return null;
  const onClick = () => {
    forgetToken();
    location.reload();
  };
  return (
    <button type="button" class="btn btn-quiet" onClick={onClick} title="Forget the token kept in this tab">
      Forget token
    </button>
  );
}

/** A `#/session/...` link that names no session id: said so, and nothing is fetched or offered to copy. */
function NotASessionId({ text }: { text: string }) {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return (
    <section class="view" aria-labelledby="bad-id-title">
      <h1 id="bad-id-title">Not a session id</h1>
      <p class="banner banner-error" role="alert">
        This link does not name a session: <code class="bad-id">{JSON.stringify(shown)}</code> is not a session id (a UUID, as in{' '}
        <code>codex resume 01a20b7c-dbe8-70c2-9828-678afb8f6bf7</code>).
      </p>
      <p>
        <a href={href.sessions()}>All sessions</a>
      </p>
    </section>
  );
}

function current(route: Route) {
  switch (route.view) {
    case 'session':
      if (route.id === null) return <NotASessionId text={route.badId ?? ''} />;
      // Another machine's copy of the session is another page (team mode).
      return <SessionView key={`${route.id}/${route.query.get('machine') ?? ''}`} id={route.id} query={route.query} />;
    case 'search':
      return <SearchView query={route.query} />;
    case 'usage':
      return <UsagePage query={route.query} />;
    default:
      return <SessionsView query={route.query} />;
  }
}

export function App() {
  const route = useRoute();
  useEffect(installKeys, []);
  // A new view starts at its top (a search hit then scrolls the transcript to its record).
  useEffect(() => window.scrollTo({ top: 0 }), [route.view, route.id]);
  const nav = (view: Route['view'], target: string, label: string) => (
    <a href={target} aria-current={route.view === view || (view === 'sessions' && route.view === 'session') ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.sessions()}>
          Agent<span class="brand-more"> sessions</span>
        </a>
        <nav aria-label="Main">
          {nav('sessions', href.sessions(), 'Sessions')}
          {nav('usage', href.usage(), 'Usage')}
        </nav>
        <SearchBox route={route} />
        <TokenStatus />
      </header>
      <main id="main" tabIndex={-1}>
        {current(route)}
      </main>
      <TokenPrompt />
    </>
  );
}
