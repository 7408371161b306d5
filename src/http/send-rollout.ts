import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import send from '@fastify/send';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RolloutError, RolloutErrorKind, scanFailed } from '../rollout/errors.js';
import type { RolloutFile } from '../rollout/types.js';
import { HttpProblem } from './problem.js';

export const NDJSON = 'application/x-ndjson';

/**
 * A file truncated while it is sent ends its stream before the promised Content-Length. The
 * response would then look finished to Node but not to the client, which would wait for the
 * missing bytes until the keep-alive timeout: close the connection instead, so the client
 * sees at once that the body is incomplete.
 */
function closeIfShortened(request: FastifyRequest, reply: FastifyReply, stream: Readable, expected: number, file: RolloutFile) {
  if (!Number.isFinite(expected) || expected === 0 || request.method === 'HEAD') return;
  stream.once('end', () => {
    const read = (stream as Readable & { bytesRead?: unknown }).bytesRead;
    if (typeof read === 'number' && read < expected) {
      request.log.warn({ path: file.relPath, sent: read, expected }, 'the file shrank while it was sent; closing the connection');
      reply.raw.destroy();
    }
  });
}

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
  // send treats `Cache-Control: no-cache` as "never 304", but a browser's fetch adds it to every
  // request with If-None-Match; preconditions are the origin's to evaluate (RFC 9110 §13.2.1).
  delete request.raw.headers['cache-control'];
  const result = await send(request.raw, `/${encodeURIComponent(basename(file.absPath))}`, {
    root: dirname(file.absPath),
    acceptRanges: true,
    cacheControl: false,
    contentType: false,
    dotfiles: 'allow',
    etag: true,
    index: false,
    lastModified: true,
    // send leaves Node's 16 KiB default; 64 KiB reads keep up with a plain static server.
    highWaterMark: 64 * 1024,
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
  if (result.statusCode === 304) {
    result.stream.destroy();
    return reply.send();
  }
  reply.type(NDJSON);
  closeIfShortened(request, reply, result.stream, Number(result.headers['Content-Length']), file);
  return reply.send(result.stream);
}
