// Values for the project and provider pickers. The API has no "distinct cwd" route: the pickers
// offer what the loaded pages showed, plus every project and provider in GET /usage (SPEC §6)
// on servers that have it. Any project path can also be typed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson } from '../api/client.js';
import type { SessionSummary, UsageReport } from '../api/types.js';

async function usageKeys(groupBy: 'cwd' | 'provider', signal: AbortSignal): Promise<string[]> {
  try {
    const report = await getJson<UsageReport>('usage', { groupBy }, signal);
    return report.rows.map((r) => r.key).filter((k) => k !== '');
  } catch (err) {
    if (err instanceof ApiError) return []; // no usage API on this server, or not allowed: the loaded pages still help
    throw err;
  }
}

export function useSuggestions(items: SessionSummary[]): { projects: string[]; providers: string[] } {
  const seen = useRef({ projects: new Set<string>(), providers: new Set<string>() });
  const [, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    Promise.all([usageKeys('cwd', controller.signal), usageKeys('provider', controller.signal)])
      .then(([cwds, providers]) => {
        cwds.forEach((c) => seen.current.projects.add(c));
        providers.forEach((p) => seen.current.providers.add(p));
        setTick((t) => t + 1);
      })
      .catch(() => {});
    return () => controller.abort();
  }, []);
  for (const item of items) {
    if (item.cwd) seen.current.projects.add(item.cwd);
    seen.current.providers.add(item.modelProvider ?? 'openai');
  }
  return { projects: [...seen.current.projects].sort(), providers: [...seen.current.providers].sort() };
}
