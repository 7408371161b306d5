// One GET /usage report (SPEC §6) for the Usage page. A server whose index is still reading a
// large home answers 503 SERVICE_UNAVAILABLE (it will not read more than --max-scan-files
// files for one request): the page says so and asks again a little later, by itself.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, isAbort } from '../api/client.js';
import type { UsageReport } from '../api/types.js';

const RETRY_MS = 5_000;

export interface ReportState {
  report: UsageReport | null;
  error: unknown;
}

/** The report for `params`; nothing is asked while `enabled` is false. */
export function useReport(params: Record<string, string>, enabled = true): ReportState {
  const key = new URLSearchParams(params).toString();
  const [state, setState] = useState<ReportState>({ report: null, error: null });
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ report: null, error: null });
    const load = () =>
      getJson<UsageReport>('usage', params, controller.signal).then(
        (report) => setState({ report, error: null }),
        (error: unknown) => {
          if (isAbort(error)) return;
          setState({ report: null, error });
          if (error instanceof ApiError && error.status === 503) timer = setTimeout(load, RETRY_MS);
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
