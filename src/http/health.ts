import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HomeState } from '../rollout/sources/source.js';
import type { MultiRepository } from '../rollout/multi-repository.js';

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

/** Why a source other than the first is not served, in words for /readyz (its home is optional: never a 503). */
export const SOURCE_PROBLEMS: Record<Exclude<HomeState, 'ready'>, string> = {
  missing: 'the home does not exist (set --claude-home or CLAUDE_CONFIG_DIR; --agents codex leaves Claude Code out)',
  'not-a-directory': 'the home is not a directory',
  unreadable: 'the home cannot be read by this process',
  'no-sessions': 'the home has no projects/ directory: no session was written yet',
};

const SourceState = Type.Object({
  agent: Type.Enum(['codex', 'claude']),
  served: Type.Boolean({
    description: 'Whether its home was found with sessions in it; its sessions are listed either way once they appear',
  }),
  home: Type.Enum(['ready', 'missing', 'not-a-directory', 'unreadable', 'no-sessions']),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the source is not served; null when it is' }),
});

export const Readiness = Type.Object({
  mode: Type.Optional(
    Type.Literal('team', {
      description: 'Team mode (docs/team.md): the sessions of several machines, from PostgreSQL; absent over one home',
    }),
  ),
  sources: Type.Array(SourceState, {
    description: 'Every agent the configuration serves (--agents), in order, with whether its home was found',
  }),
  status: Type.String({ description: '`ready`, `degraded` (serving, without what `degraded` lists), or why it is not ready' }),
  degraded: Type.Array(Type.String(), {
    description: 'What the service is doing without: unreadable directories (skipped), session_index.jsonl, the index',
  }),
  index: IndexProgress,
});

export type HealthRepository = Pick<MultiRepository, 'indexProgress' | 'degraded' | 'homeState' | 'sourceStates'>;

export const healthRoutes: FastifyPluginAsyncTypebox<{ repository: HealthRepository }> = async (app, { repository }) => {
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
        summary:
          'Readiness: the Codex home can be read and the index is not being rebuilt; also reports which sources (agents) are ' +
          'served and what is degraded',
        tags: ['operations'],
        response: { 200: Readiness, 503: { ...Readiness, description: 'Not ready: `status` says why' } },
      },
      // Its 503 is a Readiness document, not a problem: error-handler.ts leaves it as it is.
      config: { ownErrorBody: true },
    },
    async (_request, reply) => {
      const index = repository.indexProgress();
      const degraded = repository.degraded.list();
      const states = await repository.sourceStates();
      const sources = states.map(({ agent, home }) => ({
        agent,
        served: home === 'ready',
        home,
        reason: home === 'ready' ? null : agent === 'codex' ? HOME_PROBLEMS[home] : SOURCE_PROBLEMS[home],
      }));
      // The Codex home decides readiness as it always has; another source's home is optional (absent: not served).
      const home = states.find((s) => s.agent === 'codex')?.home ?? (states.some((s) => s.home === 'ready') ? 'ready' : 'no-sessions');
      // Without sessions/ the service serves what is there (nothing): ready, but saying why it is empty.
      if (home === 'no-sessions' && states.some((s) => s.agent === 'codex')) degraded.unshift(HOME_PROBLEMS[home]);
      else if (home !== 'ready' && home !== 'no-sessions') {
        return reply.code(503).send({ status: HOME_PROBLEMS[home], sources, degraded, index });
      }
      // A corrupt index is rebuilt in the background while queries scan: answers stay right but slower.
      if (index.state === 'rebuilding' || index.state === 'waiting') {
        return reply.code(503).send({ status: `index ${index.state}: ${index.reason}`, sources, degraded, index });
      }
      return { status: degraded.length === 0 ? 'ready' : 'degraded', sources, degraded, index };
    },
  );
};
