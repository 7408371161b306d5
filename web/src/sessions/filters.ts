// The list's filters live in the URL (#/?source=exec&sort=updated...): a reload or a shared link
// shows the same list. Names and values are the API's own (docs/api.md), so they pass straight through.

export interface Filters {
  q: string;
  cwd: string;
  source: string;
  provider: string;
  since: string;
  until: string;
  archived: string;
  sort: string;
  order: string;
  /** Team mode: one machine's sessions (docs/team.md); '' for every machine, and always over one home. */
  machine: string;
}

export const FILTER_DEFAULTS: Filters = {
  q: '',
  cwd: '',
  source: '',
  provider: '',
  since: '',
  until: '',
  archived: 'false',
  sort: 'created',
  order: 'desc',
  machine: '',
};

export const SOURCES = ['interactive', 'cli', 'vscode', 'exec', 'mcp', 'subagent', 'custom', 'unknown'];

const KEYS = Object.keys(FILTER_DEFAULTS) as (keyof Filters)[];

export function filtersFrom(query: URLSearchParams): Filters {
  const f = { ...FILTER_DEFAULTS };
  for (const k of KEYS) f[k] = query.get(k) ?? FILTER_DEFAULTS[k];
  return f;
}

/** Only what differs from the defaults, so that URLs stay short. */
export function queryFrom(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const k of KEYS) if (filters[k] !== FILTER_DEFAULTS[k] && filters[k] !== '') query.set(k, filters[k]);
  return query;
}

export function isFiltered(filters: Filters): boolean {
  return KEYS.some((k) => k !== 'sort' && k !== 'order' && filters[k] !== FILTER_DEFAULTS[k]);
}

/** GET /conversations parameters: no head records (the list shows summaries only). */
export function listParams(filters: Filters, limit = 50): Record<string, string | number> {
  // total: the count under the list (the server counts only when asked, and on a first page only).
  return { ...filters, limit, head: 0, total: 'true' };
}
