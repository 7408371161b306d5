import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HomeState } from '../rollout/sources/source.js';
import type { RolloutRepository } from '../rollout/repository.js';

/**
 * What is wrong with the Codex home, in words for /readyz and the start-up log; null when it is
 * ready. No absolute path (the start-up log has it): a client learns what to fix, not the layout
 * of the server's disk.
 */
export const HOME_PROBLEMS: Record<Exclude<HomeState, 'ready'>, string> = {
  missing: 'the codex home does not exist: set --codex-home or CODEX_HOME to the directory Codex writes (~/.codex)',
  'not-a-directory': 'the codex home is not a directory: set --codex-home or CODEX_HOME to the directory Codex writes (~/.codex)',
  unreadable: 'codex home not readable: this process may not list it',
  'no-sessions':
    'the codex home has no sessions/ directory: no session was written yet, or --codex-home/CODEX_HOME is not the Codex home',
};

const Status = Type.Object({ status: Type.String() });

const IndexProgress = Type.Object(
  {
    state: Type.Enum(['disabled', 'building', 'ready', 'failed', 'rebuilding', 'waiting'], {
      description:
        'rebuilding: the index file was found corrupt while running; waiting: another process holds its lock. ' +
        'Queries scan until it is ready again',
    }),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the index is failed, rebuilding or waiting' }),
    complete: Type.Boolean({ description: 'Filters, sort=updated and lookups use the index only once it is complete' }),
    filesInIndex: Type.Integer({ minimum: 0 }),
    filesCheckedThisPass: Type.Integer({ minimum: 0 }),
    lastPassMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Duration of the last full pass' }),
  },
  { description: 'Metadata index progress' },
);

const Readiness = Type.Object({
  status: Type.String({ description: '`ready`, `degraded` (serving, without what `degraded` lists), or why it is not ready' }),
  degraded: Type.Array(Type.String(), {
    description: 'What the service is doing without: unreadable directories (skipped), session_index.jsonl, the index',
  }),
  index: IndexProgress,
});

export const healthRoutes: FastifyPluginAsyncTypebox<{ repository: RolloutRepository }> = async (app, { repository }) => {
  app.get(
    '/healthz',
    {
      schema: { summary: 'Liveness: the process is up (no auth)', tags: ['operations'], response: { 200: Status } },
      // Its 15 bytes are never compressed, and the compression hook's first run loads Node's fetch
      // (its check for a Response body): the probe that says the process is up should not pay for that.
      compress: false,
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the Codex home can be read and the index is not being rebuilt; also reports what is degraded',
        tags: ['operations'],
        response: { 200: Readiness, 503: { ...Readiness, description: 'Not ready: `status` says why' } },
      },
      // Its 503 is a Readiness document, not a problem: error-handler.ts leaves it as it is.
      config: { ownErrorBody: true },
    },
    async (_request, reply) => {
      const index = repository.indexProgress();
      const degraded = repository.degraded.list();
      const home = await repository.homeState();
      // Without sessions/ the service serves what is there (nothing): ready, but saying why it is empty.
      if (home === 'no-sessions') degraded.unshift(HOME_PROBLEMS[home]);
      else if (home !== 'ready') return reply.code(503).send({ status: HOME_PROBLEMS[home], degraded, index });
      // A corrupt index is rebuilt in the background while queries scan: answers stay right but slower.
      if (index.state === 'rebuilding' || index.state === 'waiting') {
        return reply.code(503).send({ status: `index ${index.state}: ${index.reason}`, degraded, index });
      }
      return { status: degraded.length === 0 ? 'ready' : 'degraded', degraded, index };
    },
  );
};
