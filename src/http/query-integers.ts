import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.js';

/** A decimal integer as a client writes one in a URL: digits only. */
const DECIMAL = /^\d{1,15}$/;

/** The names of the integer parameters of a route's querystring schema. */
function integerParams(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {};
  return Object.entries(properties)
    .filter(([, p]) => p.type === 'integer')
    .map(([name]) => name);
}

/**
 * The one place query integers are read: strictly decimal, before validation. ajv's type
 * coercion (kept for arrays and booleans) would take `0x10` as 16, `1e1` as 10, ` 1` as 1 and
 * `Infinity` or `1e400` as ±Infinity (which then passes `minimum`/`maximum`, lifting every page
 * size bound). Here a value is a number only when it is digits and nothing else; anything else
 * is INVALID_QUERY, and ajv checks the range of what is left.
 */
export function registerQueryIntegers(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const names = integerParams(request.routeOptions.schema?.querystring);
    if (names.length === 0) return;
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !DECIMAL.test(value)) {
        throw new HttpProblem('INVALID_QUERY', `querystring/${name} must be a decimal integer`);
      }
      query[name] = Number(value);
    }
  });
}
