import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { wholeMtimeMs } from '../rollout/files/file-stamp.js';
import type { SessionRepository } from '../rollout/repository.js';
import { chunksOf } from '../rollout/reading/byte-source.js';
import type { OpenRollout } from '../rollout/reading/session-reader.js';
import type { RolloutFile } from '../rollout/types.js';
import { parseRange } from './byte-range.js';
import { BODY_HIGH_WATER_MARK } from './byte-stream.js';
import { HttpProblem } from './problem.js';
import { requestLease } from './request-lease.js';

export const NDJSON = 'application/x-ndjson';

/**
 * A file truncated while it is sent ends its stream before the promised Content-Length. The
 * response would then look finished to Node but not to the client, which would wait for the
 * missing bytes until the keep-alive timeout: close the connection instead, so the client
 * sees at once that the body is incomplete.
 */
function closeIfShortened(request: FastifyRequest, reply: FastifyReply, stream: Readable, expected: number, file: RolloutFile) {
  stream.once('end', () => {
    const sent = (stream as Readable & { bytesRead: number }).bytesRead;
    if (sent < expected) {
      request.log.warn({ path: file.relPath, sent, expected }, 'the file shrank while it was sent; closing the connection');
      reply.raw.destroy();
    }
  });
}

/** The bytes `[start, end)` of a file that is not on the disk (ReadEnv.open), a chunk at a time; closes it when done. */
function sourceStream(opened: OpenRollout, start: number, end: number): Readable {
  let bytesRead = 0;
  async function* chunks() {
    try {
      for await (const chunk of chunksOf(opened.source, end, start)) {
        bytesRead += chunk.length;
        yield Buffer.from(chunk); // chunksOf reuses its buffer
      }
    } finally {
      await opened.close();
    }
  }
  const stream = Readable.from(chunks(), { objectMode: false, highWaterMark: BODY_HIGH_WATER_MARK });
  return Object.defineProperty(stream, 'bytesRead', { get: () => bytesRead });
}

/** The entity tags of an If-None-Match list, or '*'. */
function tagsOf(header: string): string[] {
  return header.split(',').map((t) => t.trim()).filter((t) => t !== '');
}

/** Weak comparison (RFC 9110 §8.8.3.2): equal once any W/ prefix is dropped. */
const weakEqual = (a: string, b: string) => a.replace(/^W\//, '') === b.replace(/^W\//, '');

/** RFC 9110 §13.1.2-13.1.3: If-None-Match wins over If-Modified-Since. */
function notModified(request: FastifyRequest, etag: string, lastModified: string): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (typeof ifNoneMatch === 'string') return ifNoneMatch.trim() === '*' || tagsOf(ifNoneMatch).some((t) => weakEqual(t, etag));
  const ifModifiedSince = request.headers['if-modified-since'];
  if (typeof ifModifiedSince !== 'string') return false;
  const since = Date.parse(ifModifiedSince);
  return Number.isFinite(since) && Date.parse(lastModified) <= since;
}

/** If-Range: the Range applies only while the validator still describes the file. */
function rangeStillApplies(request: FastifyRequest, etag: string, lastModified: string): boolean {
  const ifRange = request.headers['if-range'];
  if (typeof ifRange !== 'string') return true;
  if (ifRange.includes('"')) return ifRange.includes(etag);
  const at = Date.parse(ifRange);
  return Number.isFinite(at) && Date.parse(lastModified) <= at;
}

/**
 * Streams the file's bytes exactly, with Range (206/416), ETag/If-None-Match and
 * Last-Modified/If-Modified-Since (304). The file is opened by the repository, which proves on
 * the descriptor that it is a regular file inside the Codex home (an index row or a walk result
 * that went stale cannot make this serve a link out, a FIFO or a device), and the bytes are sent
 * from that same descriptor. An invalid Range is ignored (RFC 9110 §14.2): the whole file.
 */
export async function sendRolloutBytes(request: FastifyRequest, reply: FastifyReply, repository: SessionRepository, file: RolloutFile) {
  const lease = await requestLease(repository, request, reply, 'bytes');
  let opened;
  try {
    opened = await repository.openFile(file);
  } catch (err) {
    lease.release();
    throw err;
  }
  const done = () => {
    void opened.close();
    lease.release();
  };
  const { stat, fd } = opened;
  // The validators @fastify/send used: clients' cached ETags stay valid.
  const mtimeMs = wholeMtimeMs(stat.mtimeMs);
  const etag = `W/"${stat.size.toString(16)}-${mtimeMs.toString(16)}"`;
  const lastModified = new Date(mtimeMs).toUTCString();
  reply.header('accept-ranges', 'bytes').header('last-modified', lastModified).header('etag', etag);
  if (notModified(request, etag, lastModified)) {
    done();
    return reply.code(304).send();
  }
  let start = 0;
  let end = stat.size - 1;
  const rangeHeader = request.headers.range;
  if (typeof rangeHeader === 'string' && rangeStillApplies(request, etag, lastModified)) {
    const range = parseRange(rangeHeader, stat.size);
    if (range === 'unsatisfiable') {
      done();
      throw new HttpProblem('RANGE_NOT_SATISFIABLE', 'the requested range is not satisfiable', { 'content-range': `bytes */${stat.size}` });
    }
    if (range !== null) {
      ({ start, end } = range);
      reply.code(206).header('content-range', `bytes ${start}-${end}/${stat.size}`);
    }
  }
  const length = end - start + 1;
  reply.type(NDJSON).header('content-length', String(length));
  if (request.method === 'HEAD' || length === 0) {
    done();
    return reply.send(Readable.from([])); // a stream: Fastify keeps the Content-Length above
  }
  // The stream owns the descriptor from here: it closes it once no read is in flight.
  const stream =
    fd === null
      ? sourceStream(opened, start, end + 1)
      : createReadStream('', { fd, start, end, autoClose: true, highWaterMark: BODY_HIGH_WATER_MARK });
  stream.once('close', () => lease.release());
  closeIfShortened(request, reply, stream, length, file);
  return reply.send(stream);
}
