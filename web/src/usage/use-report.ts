// One GET /usage report (docs/usage.md) for the Usage page. While the index reads a large home the
// answer can take a while, or be 503 SERVICE_UNAVAILABLE with Retry-After (the server will not
// read more than --max-scan-files files for one request): the page says which, and asks again
// by itself after the time the server named.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, isAbort } from '../api/client.js';
import type { UsageReport } from '../api/types.js';

/** When a 503 names no time. */
const RETRY_S = 5;
/** A Retry-After beyond this is waited for this long (a page left open should not look dead for an hour). */
const MAX_RETRY_S = 300;

export interface ReportState {
  report: UsageReport | null;
  error: unknown;
  /** After a 503: the seconds the page waits before it asks again (null otherwise). */
  retryIn: number | null;
}

/** True while the page has nothing to show yet and is still expecting an answer (the request, or a retry, is out). */
export const waitingFor = (s: ReportState): boolean => s.report === null && (s.error === null || s.retryIn !== null);

/** The report for `params`; nothing is asked while `enabled` is false. */
export function useReport(params: Record<string, string>, enabled = true): ReportState {
  const key = new URLSearchParams(params).toString();
  const [state, setState] = useState<ReportState>({ report: null, error: null, retryIn: null });
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ report: null, error: null, retryIn: null });
    const load = () =>
      getJson<UsageReport>('usage', params, controller.signal).then(
        (report) => setState({ report, error: null, retryIn: null }),
        (error: unknown) => {
          if (isAbort(error)) return;
          if (!(error instanceof ApiError && error.status === 503)) return setState({ report: null, error, retryIn: null });
          const wait = Math.min(MAX_RETRY_S, Math.max(1, error.retryAfter ?? RETRY_S));
          setState({ report: null, error, retryIn: wait });
          timer = setTimeout(load, wait * 1000);
        },
      );
    void load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [key, enabled]);
  return state;
}
