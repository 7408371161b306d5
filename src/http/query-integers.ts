import fp from 'fastify-plugin';
import { shown } from './param-detail.js';
import { HttpProblem } from './problem.js';

/** A decimal integer as a client writes one in a URL: digits only. */
const DECIMAL = /^\d{1,15}$/;

interface IntegerSchema {
  type?: unknown;
  minimum?: number;
  maximum?: number;
}

/** The integer parameters of a route's querystring schema, with their schemas. */
function integerParams(schema: unknown): [string, IntegerSchema][] {
  const properties = (schema as { properties?: Record<string, IntegerSchema> } | undefined)?.properties ?? {};
  return Object.entries(properties).filter(([, p]) => p.type === 'integer');
}

/** ` from 0 to 100`, when the schema bounds the integer on both sides. */
const rangeOf = ({ minimum, maximum }: IntegerSchema) =>
  minimum !== undefined && maximum !== undefined ? ` from ${minimum} to ${maximum}` : '';

/**
 * The one place query integers are read: strictly decimal, before validation. ajv's type
 * coercion (kept for arrays and booleans) would take `0x10` as 16, `1e1` as 10, ` 1` as 1 and
 * `Infinity` or `1e400` as ±Infinity (which then passes `minimum`/`maximum`, lifting every page
 * size bound). Here a value is a number only when it is digits and nothing else; anything else
 * is INVALID_QUERY, and ajv checks the range of what is left.
 */
export const queryIntegers = fp(async (app) => {
  app.addHook('preValidation', async (request) => {
    const params = integerParams(request.routeOptions.schema?.querystring);
    if (params.length === 0) return;
    const query = request.query as Record<string, unknown>;
    for (const [name, schema] of params) {
      const value = query[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        throw new HttpProblem('INVALID_QUERY', `query parameter ${name} must be given once; got ${value.length} values`);
      }
      if (typeof value !== 'string' || !DECIMAL.test(value)) {
        throw new HttpProblem('INVALID_QUERY', `query parameter ${name} must be a decimal integer${rangeOf(schema)}; got ${shown(value)}`);
      }
      query[name] = Number(value);
    }
  });
}, { name: 'query-integers' });
