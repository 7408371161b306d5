import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, PROBLEM_CONTENT_TYPE, problem } from '../../http/problem.js';
import type { BytePool} from '../../rollout/reading/byte-budget.js';
import { type Release } from '../../rollout/reading/byte-budget.js';
import type { Principal } from '../tokens.js';
import type { FileStore} from './file-store.js';
import { FileConflict, OffsetMismatch } from './file-store.js';
import { BATCH_TYPE, MAX_MANIFEST_BYTES, decodeBatch } from './batch.js';
import { checkPushPath } from './layout.js';
import { MAX_PUSH_BYTES } from './limits.js';

/** Files per page of GET /push/:machine/files. */
const MAX_PAGE = 5000;
const DEFAULT_PAGE = 1000;

export interface IngestOptions {
  files: FileStore;
  /** Request bodies held at once, across requests: a push waits for room, then gets 503. */
  bodies: BytePool;
  /** The caller, set by the team plugin's authentication hook. */
  principalOf: (request: FastifyRequest) => Principal;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Budget taken for this push's body, given back when the response is done. */
    bodyRelease?: Release;
  }
}

function pusher(request: FastifyRequest, principalOf: IngestOptions['principalOf']): string {
  const principal = principalOf(request);
  if (principal.role !== 'push') {
    throw new HttpProblem(
      'WRONG_ROLE',
      `a ${principal.role} token cannot push; create one with: codex-sessions token add --role push --machine NAME`,
    );
  }
  const { machine } = request.params as { machine?: string };
  if (machine !== undefined && machine !== principal.machine) {
    throw new HttpProblem('WRONG_MACHINE', `this token pushes as machine "${principal.machine}", not "${machine}"`);
  }
  return principal.machine as string;
}

function pushPath(raw: unknown): string {
  const path = typeof raw === 'string' ? raw : '';
  const bad = checkPushPath(path);
  if (bad === 'INVALID_PATH') {
    throw new HttpProblem('INVALID_PATH', 'the path must be relative to the Codex home, without "." or ".." parts');
  }
  if (bad === 'PATH_OUTSIDE_LAYOUT') {
    throw new HttpProblem(
      'PATH_OUTSIDE_LAYOUT',
      'only sessions/YYYY/MM/DD/rollout-*.jsonl, archived_sessions/rollout-*.jsonl and session_index.jsonl are pushed',
    );
  }
  return path;
}

function wholeNumber(name: string, raw: unknown, fallback?: number): number {
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new HttpProblem('INVALID_QUERY', `${name} must be a whole number`);
  return Number(raw);
}

function sendOffsetMismatch(reply: FastifyReply, err: OffsetMismatch) {
  const body = { ...problem('OFFSET_MISMATCH', `${err.message}; send from offset ${err.size}`), path: err.path, size: err.size };
  return reply.code(409).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** The push agent's endpoints (docs/team.md): list what is held, append, replace, move, delete. */
export async function ingestRoutes(app: FastifyInstance, options: IngestOptions): Promise<void> {
  const { files, bodies, principalOf } = options;

  const parsing = { parseAs: 'buffer', bodyLimit: MAX_PUSH_BYTES + MAX_MANIFEST_BYTES } as const;
  app.addContentTypeParser(['application/octet-stream', BATCH_TYPE], parsing, (_request, body, done) => done(null, body));

  /** Auth (and the path, when there is one) are checked, and room for the body is taken, before a byte of it is read. */
  const admitBody = (limit: number, hasPath: boolean) => async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    pusher(request, principalOf);
    if (hasPath) pushPath((request.params as Record<string, unknown>)['*']);
    const declared = Number(request.headers['content-length'] ?? limit);
    if (declared > limit) {
      const detail = `a push request carries at most ${MAX_PUSH_BYTES} bytes; send the rest from the new offset`;
      throw new HttpProblem('CONTENT_TOO_LARGE', detail);
    }
    request.bodyRelease = await bodies.acquire(Math.max(1, declared));
    return payload;
  };

  app.get('/push/whoami', async (request) => ({ machine: pusher(request, principalOf) }));

  app.get('/push/:machine/digest', async (request) => {
    const machine = pusher(request, principalOf);
    return { machine, ...(await files.digest(machine)) };
  });

  app.get('/push/:machine/files', async (request) => {
    const machine = pusher(request, principalOf);
    const query = request.query as { after?: unknown; limit?: unknown };
    const limit = wholeNumber('limit', query.limit, DEFAULT_PAGE);
    if (limit < 1 || limit > MAX_PAGE) throw new HttpProblem('INVALID_QUERY', `limit must be between 1 and ${MAX_PAGE}`);
    const after = typeof query.after === 'string' ? query.after : '';
    const page = await files.list(machine, after, limit);
    return { machine, files: page, next: page.length === limit ? (page.at(-1) as { path: string }).path : null };
  });

  app.put('/push/:machine/files/*', {
    bodyLimit: MAX_PUSH_BYTES,
    preParsing: admitBody(MAX_PUSH_BYTES, true),
    handler: async (request, reply) => {
      const machine = pusher(request, principalOf);
      const path = pushPath((request.params as Record<string, unknown>)['*']);
      const query = request.query as { offset?: unknown; replace?: unknown; mtime?: unknown };
      const offset = wholeNumber('offset', query.offset);
      const mtimeMs = query.mtime === undefined ? null : wholeNumber('mtime', query.mtime);
      const replace = query.replace === 'true';
      if (query.replace !== undefined && !['true', 'false'].includes(String(query.replace))) {
        throw new HttpProblem('INVALID_QUERY', 'replace must be true or false');
      }
      if (replace && offset !== 0) throw new HttpProblem('INVALID_QUERY', 'a replacement starts at offset 0');
      const data = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        return await files.append(machine, { path, offset, data, replace, mtimeMs });
      } catch (err) {
        if (err instanceof OffsetMismatch) return sendOffsetMismatch(reply, err);
        throw err;
      }
    },
  });
  app.post('/push/:machine/batch', {
    bodyLimit: MAX_PUSH_BYTES + MAX_MANIFEST_BYTES,
    preParsing: admitBody(MAX_PUSH_BYTES + MAX_MANIFEST_BYTES, false),
    handler: async (request, reply) => {
      const machine = pusher(request, principalOf);
      if (!Buffer.isBuffer(request.body)) throw new HttpProblem('INVALID_QUERY', `a batch is sent as ${BATCH_TYPE}`);
      const appends = decodeBatch(request.body, pushPath);
      try {
        return { files: await files.appendMany(machine, appends) };
      } catch (err) {
        if (err instanceof OffsetMismatch) return sendOffsetMismatch(reply, err);
        throw err;
      }
    },
  });
  app.addHook('onResponse', async (request) => request.bodyRelease?.());
  app.addHook('onRequestAbort', async (request) => request.bodyRelease?.());

  app.delete('/push/:machine/files/*', async (request, reply) => {
    const machine = pusher(request, principalOf);
    const path = pushPath((request.params as Record<string, unknown>)['*']);
    try {
      await files.remove(machine, path);
    } catch (err) {
      if (err instanceof FileConflict) throw new HttpProblem('NOT_FOUND', err.message);
      throw err;
    }
    return reply.code(204).send();
  });

  app.post('/push/:machine/moves', {
    bodyLimit: 4096,
    schema: {
      body: {
        type: 'object',
        required: ['from', 'to'],
        additionalProperties: false,
        properties: { from: { type: 'string', maxLength: 512 }, to: { type: 'string', maxLength: 512 } },
      },
    },
    handler: async (request) => {
      const machine = pusher(request, principalOf);
      const { from, to } = request.body as { from: string; to: string };
      const source = pushPath(from);
      const target = pushPath(to);
      try {
        await files.move(machine, source, target);
      } catch (err) {
        if (err instanceof FileConflict) throw new HttpProblem(err.reason === 'missing' ? 'NOT_FOUND' : 'FILE_EXISTS', err.message);
        throw err;
      }
      return { from: source, to: target };
    },
  });
}
