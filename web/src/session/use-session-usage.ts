// Token usage and cost of the open session, from GET /conversations/:id/usage (docs/usage.md). No
// polling: it is fetched once the transcript is loaded, and again only when the live follow
// brings a new usage line (a little later, so that a burst of lines costs one request); each
// fetch after the first revalidates with If-None-Match (api/client.ts).
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from '../api/client.js';
import type { ConversationUsage } from '../api/types.js';

const SETTLE_MS = 300;

/**
 * `usageLines` is the number of usage lines the transcript has read: a change after the load
 * means the session spent more. Null until the first answer, and on a server without the route.
 */
export function useSessionUsage(id: string, ready: boolean, usageLines: number, machine?: string): ConversationUsage | null {
  const [usage, setUsage] = useState<ConversationUsage | null>(null);
  const [wanted, setWanted] = useState(0);
  /** The usage lines the last fetch was asked for; null before the first fetch of this load. */
  const fetched = useRef<number | null>(null);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(usageLines);
  latest.current = usageLines;

  useEffect(() => {
    if (!ready) {
      clearTimeout(pending.current ?? undefined);
      pending.current = null;
      fetched.current = null;
      return;
    }
    if (fetched.current === usageLines || pending.current !== null) return;
    pending.current = setTimeout(
      () => {
        pending.current = null;
        fetched.current = latest.current;
        setWanted((n) => n + 1);
      },
      fetched.current === null ? 0 : SETTLE_MS,
    );
  }, [ready, usageLines]);
  useEffect(() => () => clearTimeout(pending.current ?? undefined), []);

  useEffect(() => {
    if (wanted === 0) return;
    const controller = new AbortController();
    getJson<ConversationUsage>(`conversations/${encodeURIComponent(id)}/usage`, { machine }, controller.signal).then(
      setUsage,
      () => {}, // no usage route on this server, or a failure: the transcript stands without numbers
    );
    return () => controller.abort();
  }, [id, wanted]);
  return usage;
}
