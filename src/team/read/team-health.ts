import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Readiness } from '../../http/health.js';
import { PUSHED_PREFIX } from './home.js';
import type { TeamIndex } from './team-index.js';

/** Team mode's readiness: the single-machine document, and the machines (for the dashboard's machine filter). */
const TeamReadiness = Type.Object({
  ...Readiness.properties,
  machines: Type.Array(Type.String(), { description: 'Team mode: every machine with pushed sessions, in bytewise order' }),
});

/**
 * `GET /readyz` of a team server (docs/team.md, "Readiness"): ready when the database answers.
 * The dashboard reads it (which agents, team mode, which machines), so it takes a token as the
 * reads do; a load balancer probes `/healthz` instead, which needs none and also asks the database.
 * There is no index build to wait for (the index lives in the database, kept by every instance).
 */
export const teamHealthRoutes: FastifyPluginAsyncTypebox<{ pool: pg.Pool; index: TeamIndex }> = async (app, { pool, index }) => {
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database answers; team mode and its machines',
        tags: ['operations'],
        response: { 200: TeamReadiness, 503: { ...TeamReadiness, description: 'Not ready: `status` says why' } },
      },
      config: { ownErrorBody: true },
    },
    async (request, reply) => {
      const sources = [{ agent: 'codex' as const, served: true, home: 'ready' as const, reason: null }];
      const progress = (filesInIndex: number) => ({
        state: 'ready' as const,
        reason: null,
        complete: true,
        filesInIndex,
        filesCheckedThisPass: 0,
        lastPassMs: null,
      });
      try {
        const [machines, counted] = await Promise.all([
          index.machines(),
          pool.query<{ n: string }>({
            name: 'cs-team-readyz-files',
            text: 'SELECT count(*) AS n FROM cs_index_files WHERE home >= $1 AND home < $2 AND is_session',
            values: [PUSHED_PREFIX, `${PUSHED_PREFIX.slice(0, -1)};`],
          }),
        ]);
        const files = Number(counted.rows[0]?.n ?? 0);
        return { mode: 'team' as const, status: 'ready', sources, degraded: [], index: progress(files), machines };
      } catch (err) {
        request.log.warn({ err }, 'readiness: the database did not answer');
        const status = 'the database did not answer; see the server log';
        return reply.code(503).send({ mode: 'team' as const, status, sources, degraded: [], index: progress(0), machines: [] });
      }
    },
  );
};
