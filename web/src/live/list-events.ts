// Live changes to a loaded list (GET /events, docs/live.md). The server narrows the stream by cwd,
// source, provider and archived; the rest (title filter, dates, sort position) is applied here.
// A session goes where the list's order puts it among the loaded items; one that belongs
// after the last loaded item is left to paging. No DOM: unit-tested in Node.
import type { SessionEvent, SessionSummary } from '../api/types.js';
import type { Filters } from '../sessions/filters.js';

/** The `/events` parameters for a list: the filters the server applies to the stream. */
export function eventParams(f: Filters): Record<string, string> {
  const params: Record<string, string> = { archived: f.archived };
  if (f.cwd) params.cwd = f.cwd;
  if (f.source) params.source = f.source;
  if (f.provider) params.provider = f.provider;
  if (f.machine) params.machine = f.machine;
  return params;
}

function dayBound(date: string, end: boolean): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : date);
  return Number.isNaN(t) ? (end ? Infinity : -Infinity) : t;
}

function sortKey(s: SessionSummary, f: Filters): string {
  return `${f.sort === 'updated' ? s.updatedAt : s.createdAt}|${s.id}`;
}

/** What the stream does not apply: the title filter, the date range, and no sessions without a user message (includeEmpty). */
export function matchesLocally(s: SessionSummary, f: Filters): boolean {
  if (s.title === null) return false;
  if (f.q !== '') {
    const q = f.q.toLowerCase();
    if (!(s.title ?? '').toLowerCase().includes(q) && !(s.name ?? '').toLowerCase().includes(q)) return false;
  }
  const t = Date.parse(f.sort === 'updated' ? s.updatedAt : s.createdAt);
  if (f.since !== '' && t < dayBound(f.since, false)) return false;
  if (f.until !== '' && t > dayBound(f.until, true)) return false;
  return true;
}

/** `items` with `s` where the order puts it; null when it sorts after the last loaded item of an incomplete list. */
function place(items: SessionSummary[], s: SessionSummary, f: Filters, complete: boolean): SessionSummary[] | null {
  const key = sortKey(s, f);
  const before = (other: SessionSummary) => (f.order === 'asc' ? key < sortKey(other, f) : key > sortKey(other, f));
  const at = items.findIndex(before);
  if (at === -1) return complete ? [...items, s] : null;
  return [...items.slice(0, at), s, ...items.slice(at)];
}

export function inArchiveView(s: SessionSummary, f: Filters): boolean {
  return f.archived === 'all' || (f.archived === 'true') === s.archived;
}

/**
 * The list after one event. `complete` says the whole list is loaded (no more pages), so an
 * item that sorts last may be appended.
 */
export function applySessionEvent(items: SessionSummary[], event: SessionEvent, f: Filters, complete: boolean): SessionSummary[] {
  // One item per session and machine: a team server may hold one id on two machines.
  const same = (a: SessionSummary, b: SessionSummary) => a.id === b.id && a.machine === b.machine;
  const known = items.find((i) => same(i, event.session));
  // The stream's summaries are read from the file, without the index's count (usage null):
  // the count shown stays until a fresh one arrives (usage-refresh.ts), never "not counted yet".
  const keepUsage = event.session.usage === null && known?.usage != null;
  const session = keepUsage ? { ...event.session, usage: known?.usage } : event.session;
  const rest = items.filter((i) => !same(i, session));
  if (event.change === 'removed' || !inArchiveView(session, f) || !matchesLocally(session, f)) {
    return rest.length === items.length ? items : rest;
  }
  const present = rest.length !== items.length;
  const moves = f.sort === 'updated' && event.change === 'updated';
  if (present && !moves) return items.map((i) => (same(i, session) ? session : i));
  return place(rest, session, f, complete) ?? (present ? rest : items);
}
