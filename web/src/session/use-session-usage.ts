// Cost per turn and for the session, from GET /conversations/:id/usage (SPEC §6) on servers
// that count usage; the transcript's own token counts need no server support.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from '../api/client.js';
import type { ConversationUsage } from '../api/types.js';

export interface SessionCost {
  usage: ConversationUsage;
  /** Cost per turn id (several responses of one turn summed); null when a model has no price. */
  turnCosts: Map<string, number | null>;
}

export function costByTurn(usage: ConversationUsage): Map<string, number | null> {
  const costs = new Map<string, number | null>();
  for (const t of usage.turns) {
    const key = t.turnId ?? '';
    const prev = costs.get(key);
    costs.set(key, prev === null || t.costUSD === null ? null : (prev ?? 0) + t.costUSD);
  }
  return costs;
}

/** Fetched once the transcript is loaded, then again at most every 10 s while `changes` moves (a live session). */
export function useSessionUsage(id: string, ready: boolean, changes: number): SessionCost | null {
  const [cost, setCost] = useState<SessionCost | null>(null);
  const [fetches, setFetches] = useState(0);
  const seen = useRef<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(changes);
  latest.current = changes;
  useEffect(() => {
    if (!ready || changes === seen.current || timer.current !== null) return;
    if (seen.current === null) {
      seen.current = changes;
      return;
    }
    timer.current = setTimeout(() => {
      timer.current = null;
      seen.current = latest.current;
      setFetches((n) => n + 1);
    }, 10_000);
  }, [ready, changes]);
  useEffect(() => () => clearTimeout(timer.current ?? undefined), []);
  useEffect(() => {
    if (!ready) return;
    const controller = new AbortController();
    getJson<ConversationUsage>(`conversations/${encodeURIComponent(id)}/usage`, {}, controller.signal).then(
      (usage) => setCost({ usage, turnCosts: costByTurn(usage) }),
      () => {}, // no usage API on this server (or not indexed yet): tokens still show, cost does not
    );
    return () => controller.abort();
  }, [id, ready, fetches]);
  return cost;
}
