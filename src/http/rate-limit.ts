import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { DASHBOARD_ROUTES } from './dashboard.js';
import { HttpProblem } from './problem.js';

/**
 * Routes that are never rate limited: a liveness probe must not be throttled into "down", and
 * the dashboard's few static files (cached by the browser) must not use up the API's budget.
 */
export const RATE_LIMIT_EXEMPT_ROUTES = new Set(['/healthz', ...DASHBOARD_ROUTES]);

/**
 * At most `perMinute` requests a minute per client address (fixed one-minute windows, in
 * memory). Beyond that, 429 RATE_LIMITED as problem+json with `Retry-After` in seconds.
 * Must be registered before the routes it covers. Runs after the Host and token checks, so
 * rejected requests are not counted against the window.
 */
export const rateLimiting = fp<{ perMinute: number }>(async (app, { perMinute }) => {
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    allowList: (request) => RATE_LIMIT_EXEMPT_ROUTES.has(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) => {
      const retryAfter = String(Math.max(1, Math.ceil(context.ttl / 1000)));
      return new HttpProblem('RATE_LIMITED', `more than ${context.max} requests a minute; retry in ${retryAfter} s`, {
        'retry-after': retryAfter,
      });
    },
  });
}, { name: 'rate-limiting' });
