// The cost of a listed session that is being written. GET /events sends summaries read from the
// file, without the index's count (usage: null), so a row would lose its cost on every new line.
// The row keeps the count it had (list-events.ts) and asks the server for the session's usage
// (GET /conversations/:id/usage, the count the session page shows), at most once per
// REFRESH_MS per session while lines keep coming, and once more after the last one. On a team
// server a session is an id on one machine: the request names it (`?machine=`), since an id pushed
// from two machines is answered 409 by id alone (docs/dashboard.md, "Team mode").
import { useEffect, useRef } from 'preact/hooks';
import { getJson } from '../api/client.js';
import type { ConversationUsage, SessionSummary, SessionUsage } from '../api/types.js';

export const REFRESH_MS = 1_000;
/** Requests out at once: a burst of changes (a home synced from elsewhere) is asked for a few at a time. */
const MAX_OUT = 4;

/** A session's usage as a list item carries it, from the session's own usage document. */
export function listUsageOf(usage: ConversationUsage): SessionUsage {
  const { inputTokens, cachedInputTokens, outputTokens, reasoningOutputTokens, totalTokens, costUSD } = usage.totals;
  const models = Object.keys(usage.byModel).sort();
  return { inputTokens, cachedInputTokens, outputTokens, reasoningOutputTokens, totalTokens, costUSD, models };
}

/** Which listed session: its id, and on a team server the machine that pushed it. */
export interface RowRef {
  id: string;
  machine?: string | undefined;
}

const refKey = (ref: RowRef) => `${ref.machine ?? ''}/${ref.id}`;

interface Pending {
  ref: RowRef;
  timer: ReturnType<typeof setTimeout> | null;
  busy: boolean;
  /** Another line arrived while a request was out: ask again after it. */
  again: boolean;
}

export interface UsageRefresh {
  /** A session of the list changed: its usage is asked for soon. */
  changed: (ref: RowRef) => void;
}

interface State {
  pending: Map<string, Pending>;
  controller: AbortController;
  out: number;
}

const fresh = (): State => ({ pending: new Map(), controller: new AbortController(), out: 0 });

/**
 * `apply` puts a fresh usage on the list's item; `shown` says whether the list still holds a
 * session when its turn comes (one placed past the loaded pages, or filtered out, is not asked
 * for). Requests are cancelled when the list goes (`listKey`, its query, changes, or the view
 * closes); a failure leaves the row as it was.
 */
export function useUsageRefresh(
  apply: (ref: RowRef, usage: SessionUsage) => void,
  shown: (ref: RowRef) => boolean,
  listKey: string,
): UsageRefresh {
  const latest = useRef({ apply, shown });
  latest.current = { apply, shown };
  const state = useRef<State | null>(null);

  useEffect(
    () => () => {
      const s = state.current;
      if (s === null) return;
      s.controller.abort();
      for (const p of s.pending.values()) clearTimeout(p.timer ?? undefined);
      state.current = null;
    },
    [listKey],
  );

  const fetchUsage = (p: Pending) => {
    const s = state.current;
    if (s === null) return;
    p.timer = null;
    const { ref } = p;
    if (!latest.current.shown(ref)) {
      s.pending.delete(refKey(ref));
      return;
    }
    if (s.out >= MAX_OUT) {
      p.timer = setTimeout(() => fetchUsage(p), REFRESH_MS);
      return;
    }
    p.busy = true;
    p.again = false;
    s.out += 1;
    const { signal } = s.controller;
    const params = ref.machine === undefined ? {} : { machine: ref.machine };
    getJson<ConversationUsage>(`conversations/${encodeURIComponent(ref.id)}/usage`, params, signal)
      .then((usage) => {
        if (!signal.aborted) latest.current.apply(ref, listUsageOf(usage));
      })
      .catch(() => {}) // cancelled, or a failure: the row keeps what it shows
      .finally(() => {
        s.out -= 1;
        p.busy = false;
        if (signal.aborted) return;
        if (p.again) p.timer = setTimeout(() => fetchUsage(p), REFRESH_MS);
        else s.pending.delete(refKey(ref));
      });
  };

  return {
    changed: (ref) => {
      const s = state.current ?? (state.current = fresh());
      let p = s.pending.get(refKey(ref));
      if (p === undefined) s.pending.set(refKey(ref), (p = { ref, timer: null, busy: false, again: false }));
      if (p.busy) p.again = true;
      else if (p.timer === null) {
        const pending = p;
        p.timer = setTimeout(() => fetchUsage(pending), REFRESH_MS);
      }
    },
  };
}

/** True when an event's session needs its usage asked for: listed, and the stream did not carry it. */
export function needsUsage(session: SessionSummary): boolean {
  return session.usage === null;
}
