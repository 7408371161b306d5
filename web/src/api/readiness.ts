// GET /readyz, asked once per page load and shared: which agents the server serves (agent badges)
// and, on a team server, its machines (the machine filter and badges). docs/dashboard.md.
import { apiFetch } from './client.js';
import type { Readiness } from './types.js';

let known: Readiness | null = null;
let asking: Promise<Readiness | null> | null = null;

/** The server's readiness document; null when it could not be had (asked again by the next caller). */
export function readiness(): Promise<Readiness | null> {
  if (known !== null) return Promise.resolve(known);
  asking ??= apiFetch('readyz', { allow: [503] })
    .then((response) => response.json() as Promise<Readiness>)
    .then((ready) => (known = ready))
    .catch(() => null)
    .finally(() => {
      asking = null;
    });
  return asking;
}

/** What readiness already said, without asking (null before the first answer). */
export function knownReadiness(): Readiness | null {
  return known;
}
