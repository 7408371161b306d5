// What the Usage page shows before it has a report: a spinner while the server counts, the
// index's progress while it is being built (GET /readyz), and, after a 503, what the server said
// and when the page asks again.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiFetch } from '../api/client.js';
import type { IndexProgress, Readiness } from '../api/types.js';
import { integer } from '../format.js';
import type { ReportState } from './use-report.js';

/** How often the index's progress is read while the page waits. */
const PROGRESS_MS = 1_000;

/** The index's progress from GET /readyz, read every PROGRESS_MS while `active`; null before the first answer. */
export function useIndexProgress(active: boolean): IndexProgress | null {
  const [progress, setProgress] = useState<IndexProgress | null>(null);
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () =>
      apiFetch('readyz', { signal: controller.signal, allow: [503] })
        .then((response) => response.json() as Promise<Readiness>)
        .then((ready) => setProgress(ready.index ?? null))
        .catch(() => {}) // progress is a courtesy: without it the spinner still turns
        .finally(() => {
          if (!controller.signal.aborted) timer = setTimeout(read, PROGRESS_MS);
        });
    void read();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [active]);
  return progress;
}

/** "Building the index: 1,234 session files read so far", or null when the index is not being built. */
export function progressText(index: IndexProgress | null): string | null {
  if (index === null || index.complete || (index.state !== 'building' && index.state !== 'rebuilding')) return null;
  const verb = index.state === 'rebuilding' ? 'Rebuilding' : 'Building';
  return `${verb} the index: ${integer(index.filesCheckedThisPass)} session files read so far.`;
}

const sentence = (text: string) => (text === '' || /[.!?]$/.test(text) ? text : `${text}.`);

export function UsageWaiting({ state }: { state: ReportState }) {
  const progress = progressText(useIndexProgress(true));
  const refused = state.retryIn !== null && state.error instanceof ApiError ? state.error : null;
  return (
    <div class="waiting" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <div>
        <strong>{refused ? 'Usage is not available yet.' : 'Counting usage…'}</strong>
        {progress !== null && <div class="muted waiting-progress">{progress}</div>}
        {refused && (
          <div class="muted waiting-retry">
            {sentence(refused.detail)} Asking again in {state.retryIn} s.
          </div>
        )}
      </div>
    </div>
  );
}
