import { basename, dirname } from 'node:path';
import send from '@fastify/send';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RolloutError, RolloutErrorKind, scanFailed } from '../rollout/errors.js';
import type { RolloutFile } from '../rollout/types.js';
import { HttpProblem } from './problem.js';

export const NDJSON = 'application/x-ndjson';

/**
 * Streams the file's bytes exactly, with Range (206/416), ETag/If-None-Match (304) and
 * Last-Modified, by @fastify/send. The path was found by the repository's walk, so it is a
 * regular file inside the Codex home; `root` keeps send from interpreting the home's own
 * path (which is usually a dot-directory, `~/.codex`).
 */
export async function sendRolloutBytes(request: FastifyRequest, reply: FastifyReply, file: RolloutFile) {
  // Write preconditions (If-Match, If-Unmodified-Since) mean nothing for a read-only service.
  delete request.raw.headers['if-match'];
  delete request.raw.headers['if-unmodified-since'];
  const result = await send(request.raw, `/${encodeURIComponent(basename(file.absPath))}`, {
    root: dirname(file.absPath),
    acceptRanges: true,
    cacheControl: false,
    contentType: false,
    dotfiles: 'allow',
    etag: true,
    index: false,
    lastModified: true,
  });
  if (result.type === 'error') {
    const status = result.statusCode;
    if (status === 416) {
      throw new HttpProblem('RANGE_NOT_SATISFIABLE', 'the requested range is not satisfiable', {
        'content-range': String(result.headers['Content-Range'] ?? ''),
      });
    }
    if (status === 404) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
    throw scanFailed(`cannot send ${file.relPath}`, result.metadata.error);
  }
  if (result.type !== 'file') throw scanFailed(`${file.relPath} is not a file`, null);
  reply.code(result.statusCode).headers(result.headers);
  if (result.statusCode !== 304) reply.type(NDJSON);
  return reply.send(result.stream);
}
