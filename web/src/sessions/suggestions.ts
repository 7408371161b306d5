// What the Sessions view learns from GET /usage (docs/usage.md), once per visit:
// - the values of the project and provider pickers. The API has no "distinct cwd" route, and
//   paging through the whole list for them would read every session; GET /usage?groupBy=cwd
//   (and =provider) answers from the index with one row per project that has spent tokens,
//   archived ones included. Projects of the pages already loaded are added (a session without
//   usage yet is in no usage row), and any path can still be typed;
// - the models without a price, so that a row's cost says when it leaves some out (a list
//   item's usage has no cost per model).
// A server without GET /usage, or one still indexing a large home (503), leaves the pickers to
// the loaded pages; the list does not wait for any of this, and these are asked only once the
// first page is in: the server answers one request at a time, and two usage reports of a large
// home (both agents' rows) asked beside the first page made it wait (docs/dashboard.md).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson } from '../api/client.js';
import type { SessionSummary, UsageReport } from '../api/types.js';

async function usageReport(groupBy: 'cwd' | 'provider', signal: AbortSignal): Promise<UsageReport | null> {
  try {
    return await getJson<UsageReport>('usage', { groupBy }, signal);
  } catch (err) {
    if (err instanceof ApiError) return null;
    throw err;
  }
}

const keysOf = (report: UsageReport | null) => (report?.rows ?? []).flatMap((r) => (r.key === null || r.key === '' ? [] : [r.key]));

export interface Suggestions {
  projects: string[];
  providers: string[];
  unpriced: ReadonlySet<string>;
}

/** `listed`: the list's first page is in (or it failed); nothing is asked before. */
export function useSuggestions(items: SessionSummary[], listed: boolean): Suggestions {
  const seen = useRef({ projects: new Set<string>(), providers: new Set<string>() });
  const [unpriced, setUnpriced] = useState<ReadonlySet<string>>(() => new Set());
  // Asked once per visit, and cancelled only when the view goes (a new query's first page must not cancel it).
  const asked = useRef<AbortController | null>(null);
  useEffect(() => () => asked.current?.abort(), []);
  useEffect(() => {
    if (!listed || asked.current !== null) return;
    const controller = (asked.current = new AbortController());
    Promise.all([usageReport('cwd', controller.signal), usageReport('provider', controller.signal)])
      .then(([cwds, providers]) => {
        keysOf(cwds).forEach((c) => seen.current.projects.add(c));
        keysOf(providers).forEach((p) => seen.current.providers.add(p));
        setUnpriced(new Set(cwds?.unpricedModels ?? []));
      })
      .catch(() => {});
  }, [listed]);
  for (const item of items) {
    if (item.cwd) seen.current.projects.add(item.cwd);
    seen.current.providers.add(item.modelProvider ?? 'openai');
  }
  return { projects: [...seen.current.projects].sort(), providers: [...seen.current.providers].sort(), unpriced };
}
