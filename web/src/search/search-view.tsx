// Full-text search (GET /search, docs/search.md): sessions with highlighted snippets; a snippet opens
// the session at its record (#/session/<id>?line=N).
import { useMemo } from 'preact/hooks';
import type { SearchItem, SearchMatch } from '../api/types.js';
import { age, dateTime, plural, projectName } from '../format.js';
import { href, replaceRoute } from '../router.js';
import { ErrorBanner } from '../ui/error-banner.js';
import { MachineBadge, machineOptions, machineParam, useMachines } from '../ui/machine.js';
import { Select } from '../ui/select.js';
import { Sentinel } from '../ui/sentinel.js';
import { usePaged } from '../ui/use-paged.js';
import { highlightParts } from './highlight.js';

const ROLE_LABELS: Record<SearchMatch['role'], string> = { user: 'User', assistant: 'Assistant', tool: 'Tool', reasoning: 'Reasoning' };
const SCOPES: [string, string][] = [
  ['messages', 'messages'],
  ['tools', 'tool calls and outputs'],
  ['all', 'everything'],
];
const MATCHES: [string, string][] = [
  ['phrase', 'exact phrase'],
  ['words', 'all words'],
];

export function Snippet({ m }: { m: SearchMatch }) {
  return <>{highlightParts(m.snippet, m.ranges).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : p.text))}</>;
}

function Hit({ item, now }: { item: SearchItem; now: number }) {
  return (
    <li class="hit">
      <div class="hit-head">
        <a href={href.session(item.id, item.matches[0]?.line, item.machine)} data-nav class="hit-title">
          {item.name ?? item.title ?? '(no message yet)'}
        </a>
        <MachineBadge machine={item.machine} />
        <span class="muted" title={item.cwd ?? ''}>
          {projectName(item.cwd)}
        </span>
        <span class="muted" title={dateTime(item.createdAt)}>
          {age(item.createdAt, now)}
        </span>
        <span class="spacer" />
        <span class="muted">
          {plural(item.matchCount, 'match', 'matches')}
        </span>
      </div>
      <ul class="snippets">
        {item.matches.map((m) => (
          <li key={m.line}>
            <a
              href={href.session(item.id, m.line, item.machine)}
              class="snippet"
              aria-label={`${ROLE_LABELS[m.role]} record, line ${m.line}`}
            >
              <span class={`chip role-${m.role}`}>{ROLE_LABELS[m.role] ?? m.role}</span>
              <span class="snippet-text">
                <Snippet m={m} />
              </span>
            </a>
          </li>
        ))}
      </ul>
    </li>
  );
}

export function SearchView({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const scope = query.get('scope') ?? 'messages';
  const match = query.get('match') ?? 'phrase';
  // Team mode: a machine filter, as on the list and usage pages (none of it over one home).
  const machines = useMachines();
  const machine = machines === null ? undefined : machineParam(query);
  const params = useMemo(
    () => ({ q, scope, match, matches: 3, limit: 20, ...(machine === undefined ? {} : { machine }) }),
    [q, scope, match, machine],
  );
  const results = usePaged<SearchItem>('search', params, q.trim() !== '');
  const set = (name: string) => (event: Event) => {
    const next = new URLSearchParams(query);
    const value = (event.currentTarget as HTMLSelectElement).value;
    if (value === '') next.delete(name);
    else next.set(name, value);
    replaceRoute(href.search(next));
  };
  const now = Date.now();
  const scopeWords = SCOPES.find(([v]) => v === scope)?.[1] ?? scope;
  const searched = q.trim() !== '';
  return (
    <section class="view search-view" aria-labelledby="search-title">
      <div class="view-head">
        <h1 id="search-title">Search</h1>
        {searched && results.items.length > 0 && (
          <span class="muted count" aria-live="polite">
            {plural(results.items.length, 'session', 'sessions')}
            {results.more ? '+' : ''}
          </span>
        )}
        <span class="spacer" />
        <form class="filters inline" aria-label="Search options" onSubmit={(e) => e.preventDefault()}>
          <Select id="s-in" label="In" value={scope} options={SCOPES} onChange={set('scope')} inline />
          <Select id="s-match" label="Match" value={match} options={MATCHES} onChange={set('match')} inline />
          {machines !== null && (machines.length > 1 || machine !== undefined) && (
            <Select
              id="s-machine"
              label="Machine"
              value={machine ?? ''}
              options={machineOptions(machines, machine ?? '', 'every machine')}
              onChange={set('machine')}
              inline
            />
          )}
        </form>
      </div>
      {!searched && <p class="empty">Type in the search box above (press / to get there) and hit Enter.</p>}
      <ErrorBanner error={results.error} what="Search failed:" />
      <ul class="hits" aria-label="Search results">
        {results.items.map((item) => (
          <Hit key={`${item.machine ?? ''}/${item.id}`} item={item} now={now} />
        ))}
      </ul>
      {searched && !results.more && results.items.length === 0 && results.error === null && (
        <p class="empty">
          No session {machine === undefined ? '' : `of ${machine} `}contains “{q}” in {scopeWords}.
          {scope !== 'all' && (
            <>
              {' '}
              <a href={href.search({ ...Object.fromEntries(query), scope: 'all' })}>Search everything</a>
            </>
          )}
        </p>
      )}
      {searched && results.more && results.error === null && (
        <Sentinel onVisible={results.loadMore} generation={results.generation} />
      )}
      {results.loading && <p class="loading muted">Searching…</p>}
    </section>
  );
}
