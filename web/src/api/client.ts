// The one way the dashboard calls the API: URLs relative to the page (so that it works under a
// reverse proxy's path prefix), the bearer token from auth.ts, and problem+json errors as ApiError.
import { authHeaders, requestToken } from './auth.js';
import type { Problem } from './types.js';

export type Params = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** Seconds the server asked to wait (Retry-After, in seconds) before asking again; null without one. */
    readonly retryAfter: number | null = null,
    /** AMBIGUOUS_ID of a team server: the machines the session id is on (docs/team.md). */
    readonly machines: readonly string[] = [],
  ) {
    super(detail === '' ? `${status} ${code}` : detail);
  }

  /** The route itself does not exist on this server (an older server without that API). */
  get missingRoute(): boolean {
    return this.status === 404 && this.detail.startsWith('no route ');
  }
}

/** `path` (no leading slash) resolved against the page's own directory, with `params` appended. */
export function apiUrl(path: string, params: Params = {}): URL {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, v);
    else url.searchParams.set(name, String(value));
  }
  return url;
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: Partial<Problem> = {};
  try {
    body = (await response.json()) as Partial<Problem>;
  } catch {
    // not problem+json (a proxy's own error page)
  }
  const wait = Number(response.headers.get('retry-after') ?? '');
  const retryAfter = response.headers.has('retry-after') && Number.isFinite(wait) && wait >= 0 ? wait : null;
  const machines = Array.isArray(body.machines) ? body.machines.filter((m): m is string => typeof m === 'string') : [];
  return new ApiError(response.status, body.code ?? `HTTP_${response.status}`, body.detail ?? response.statusText, retryAfter, machines);
}

export interface FetchOptions {
  params?: Params;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Error statuses whose response is returned rather than thrown (GET /readyz's 503 has a body to read). */
  allow?: readonly number[];
}

/**
 * GET with the token. A 401 asks for the token (once for all requests refused at the same
 * time) and retries with it; any other error status becomes an ApiError.
 */
export async function apiFetch(path: string, options: FetchOptions = {}): Promise<Response> {
  const url = apiUrl(path, options.params);
  for (;;) {
    const sent = authHeaders();
    const response = await fetch(url, {
      headers: { accept: options.accept ?? 'application/json', ...options.headers, ...sent },
      signal: options.signal ?? null,
      credentials: 'omit',
    });
    if (response.status === 401) {
      await response.body?.cancel();
      await requestToken(sent.authorization !== undefined);
      continue;
    }
    if (!response.ok && response.status !== 304 && !options.allow?.includes(response.status)) throw await problemOf(response);
    return response;
  }
}

/**
 * The last ETag and body of the most recent JSON GETs (docs/live.md caching). Asking for one of
 * them again sends If-None-Match, and a 304 reuses the kept body: nothing is sent or parsed
 * again, and the caller gets the same object (so a view that compares renders nothing new).
 */
const validated = new Map<string, { etag: string; body: unknown }>();
const VALIDATED_MAX = 32;
const VALIDATED_MAX_CHARS = 1 << 20;

export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const key = apiUrl(path, params).href;
  const known = validated.get(key);
  const headers: Record<string, string> = known ? { 'if-none-match': known.etag } : {};
  const response = await apiFetch(path, { params, headers, ...(signal ? { signal } : {}) });
  if (response.status === 304 && known) return known.body as T;
  const text = await response.text();
  const body = JSON.parse(text) as T;
  const etag = response.headers.get('etag');
  validated.delete(key);
  if (etag !== null && text.length <= VALIDATED_MAX_CHARS) {
    validated.set(key, { etag, body });
    if (validated.size > VALIDATED_MAX) validated.delete(validated.keys().next().value as string);
  }
  return body;
}

/** True for the error an aborted fetch throws: a superseded request, not a failure to show. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
