import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.js';

/**
 * ajv coerces "Infinity", "-Infinity" and "1e400" to ±Infinity for an integer parameter and
 * then skips `minimum`/`maximum` (they only test finite numbers), so `limit=Infinity` would
 * pass validation and lift every page-size bound. After validation a number in the query can
 * only come from an integer parameter: reject any that is not finite.
 */
export function registerFiniteNumberGuard(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (query === null || typeof query !== 'object') return;
    for (const [name, value] of Object.entries(query)) {
      const values = Array.isArray(value) ? value : [value];
      if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
        throw new HttpProblem('INVALID_QUERY', `querystring/${name} must be a finite integer`);
      }
    }
  });
}
