import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DASHBOARD_ROUTES } from './dashboard.js';
import { HttpProblem } from './problem.js';

/** The liveness probe, and the dashboard's own files (they hold no session data; the page asks for the token). */
export const UNAUTHENTICATED_ROUTES = new Set(['/healthz', ...DASHBOARD_ROUTES]);

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares in constant time: hashing first makes the comparison independent of the lengths too. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer` header, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

const LOOPBACK_HOSTNAMES = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|\[::ffff:127(\.\d{1,3}){3}\])$/i;

/** The host part of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), or null when malformed. */
export function hostnameOf(hostHeader: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(:\d{1,5})?$/i.exec(hostHeader.trim());
  return match ? (match[1] as string) : null;
}

export interface SecurityOptions {
  token: string | null;
  /** On loopback, only loopback Host headers are served (DNS-rebinding defence). */
  loopbackOnly: boolean;
}

/** Host allow-list first (a rebinding page must learn nothing), then bearer-token auth. */
export const security = fp<SecurityOptions>(async (app, options) => {
  app.addHook('onRequest', async (request) => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (Node's own check is off: it sent no body).
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      throw new HttpProblem('INVALID_QUERY', 'an HTTP/1.1 request must carry a Host header');
    }
    if (options.loopbackOnly) {
      const host = hostnameOf(request.headers.host ?? '');
      if (host === null || !LOOPBACK_HOSTNAMES.test(host)) {
        throw new HttpProblem('FORBIDDEN', 'Host header is not a loopback name; this server only answers local clients');
      }
    }
    if (options.token === null || UNAUTHENTICATED_ROUTES.has(request.routeOptions.url ?? '')) return;
    // CORS preflights never carry credentials; they reveal nothing and must reach the CORS handler.
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) return;
    const presented = bearerToken(request);
    if (presented === null || !tokenMatches(presented, options.token)) {
      throw new HttpProblem(
        'UNAUTHORIZED',
        presented === null ? 'missing bearer token' : 'wrong bearer token',
        { 'www-authenticate': `Bearer realm="codex-sessions"${presented === null ? '' : ', error="invalid_token"'}` },
      );
    }
  });
}, { name: 'security' });
