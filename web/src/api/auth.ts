// The bearer token: asked for once when the server answers 401, kept in this tab's
// sessionStorage (never in a URL, never in localStorage), and sent as `Authorization: Bearer`.

const KEY = 'codex-sessions.token';

export interface PromptState {
  /** Why the prompt is open; null while it is closed. */
  reason: 'required' | 'rejected' | null;
}

type Listener = (state: PromptState) => void;

/** Used only when sessionStorage is unavailable (disabled storage): the token lasts as long as the page. */
let memoryToken: string | null = null;
let pending: { promise: Promise<string>; resolve: (token: string) => void } | null = null;
let state: PromptState = { reason: null };
const listeners = new Set<Listener>();

function publish(next: PromptState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

export function forgetToken(): void {
  memoryToken = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/** Headers for a request: the token when one is known. */
export function authHeaders(): Record<string, string> {
  const token = storedToken();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/**
 * Called on a 401: opens the prompt (once, however many requests were refused at the same
 * time) and resolves when the user has entered a token. `rejected` says the token that was
 * sent was refused, so the prompt can say so.
 */
export function requestToken(rejected: boolean): Promise<string> {
  if (pending === null) {
    let resolve!: (token: string) => void;
    const promise = new Promise<string>((r) => (resolve = r));
    pending = { promise, resolve };
    publish({ reason: rejected ? 'rejected' : 'required' });
  }
  return pending.promise;
}

/** The prompt's answer. */
export function submitToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    memoryToken = token;
  }
  const waiting = pending;
  pending = null;
  publish({ reason: null });
  waiting?.resolve(token);
}

export function subscribePrompt(listener: Listener): () => void {
  listeners.add(listener);
  listener(state);
  return () => listeners.delete(listener);
}
