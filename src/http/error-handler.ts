import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RolloutError } from '../rollout/errors.js';
import { RETRY_AFTER_S } from '../rollout/tuning.js';
import { paramDetail } from './param-detail.js';
import {
  HttpProblem,
  KIND_TO_CODE,
  PROBLEM_CONTENT_TYPE,
  problem,
  problemForStatus,
  sendProblem,
  type Problem,
} from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's error responses are its own documented bodies: they are not made problem+json. */
    ownErrorBody?: boolean;
  }
}

/** The 4xx status an error from Fastify, Node or a plugin carries (http-errors use `status`), or null. */
function clientStatus(error: { statusCode?: unknown; status?: unknown }): number | null {
  const status = typeof error.statusCode === 'number' ? error.statusCode : typeof error.status === 'number' ? error.status : null;
  return status !== null && status >= 400 && status < 500 ? status : null;
}

/**
 * Every error leaves as application/problem+json with the enum's code. Details of 5xx errors
 * (causes, paths, stacks) go to the log only; errors of the client's own making are not
 * logged as server errors.
 */
export const errorHandling = fp(async (app) => {
  app.setErrorHandler((error: FastifyError | RolloutError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem) {
      return sendProblem(reply, error.code, error.message, error.headers);
    }
    if (error instanceof RolloutError) {
      const code = KIND_TO_CODE[error.kind];
      if (code === 'SCAN_FAILED') {
        request.log.error({ err: error, cause: error.cause }, 'scan failed');
        return sendProblem(reply, code, 'the sessions could not be read; see the server log');
      }
      if (code === 'SERVICE_UNAVAILABLE') {
        // Out of file descriptors is worth a warning; a full memory budget is routine.
        if (error.cause !== undefined) request.log.warn({ err: error.cause }, error.message);
        // An Unavailable that names no figure is the memory budget's.
        return sendProblem(reply, code, error.message, { 'retry-after': String(error.retryAfterS ?? RETRY_AFTER_S.memory) });
      }
      return sendProblem(reply, code, error.message, {}, error.machines === undefined ? {} : { machines: error.machines });
    }
    if (error.validation) {
      const context = (error.validationContext ?? 'querystring') as 'querystring' | 'params' | 'headers';
      const input = context === 'params' ? request.params : context === 'headers' ? request.headers : request.query;
      const [first] = error.validation;
      const detail = first === undefined ? error.message : paramDetail(first, context, request.routeOptions.schema?.[context], input);
      return sendProblem(reply, context === 'params' ? 'INVALID_ID' : 'INVALID_QUERY', detail);
    }
    const status = clientStatus(error);
    if (status !== null) {
      request.log.debug({ statusCode: status, code: error.code }, 'client error');
      const { code, detail } = problemForStatus(status);
      return sendProblem(reply, code, detail);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 'SCAN_FAILED', 'internal error; see the server log');
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));

  // Plugins answer some errors themselves (CORS: a text/plain "Invalid Preflight Request"):
  // any error response that is not problem+json yet is made one here, on its way out, except
  // a route's own documented error body (/readyz's 503).
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE)) return payload;
    if (request.routeOptions.config.ownErrorBody === true) return payload;
    (payload as { destroy?: () => void } | null)?.destroy?.(); // a stream body (a file) is not sent: close it
    const { code, detail } = problemForStatus(reply.statusCode);
    const body = problem(code, detail);
    reply.code(body.status).type(`${PROBLEM_CONTENT_TYPE}; charset=utf-8`).removeHeader('content-length');
    return JSON.stringify(body);
  });
}, { name: 'error-handling' });

/**
 * Errors the router raises before any route or hook runs (a malformed percent-encoding, a
 * path parameter past maxParamLength): problem+json too, never Fastify's default body, which
 * echoes the path. Under /conversations/ the bad part is the id.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const underId = request.raw.url?.startsWith('/conversations/') ?? false;
  const code = underId ? 'INVALID_ID' : 'INVALID_QUERY';
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'path parameter too long' : 'malformed URL';
  void sendProblem(reply, code, underId ? `id must be a UUID (${detail})` : detail);
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers over 16 KiB, a
 * malformed request line or header, a request head that took too long): answered as
 * problem+json on the raw socket, which is then closed, as Node and Fastify do by default.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const { code, detail } = problemForStatus(status);
  writeRawProblem(socket, problem(code, detail));
  socket.destroy(error);
}

/** A whole problem+json response written on a socket no Fastify request owns; the connection is then closed. */
function writeRawProblem(socket: Socket, body: Problem): void {
  const json = JSON.stringify(body);
  if (!socket.writable) return;
  socket.write(
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/**
 * Requests Node answers itself, without Fastify: an `Expect` other than 100-continue (a bare
 * 417) and CONNECT (the connection was dropped without a word). Both are problem+json now: the
 * expectation is a header this server cannot honour (400 INVALID_QUERY), CONNECT a method no
 * route has (404 NOT_FOUND, as for other methods).
 */
export function answerNodeRequests(server: Server): void {
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const json = JSON.stringify(problem('INVALID_QUERY', 'unsupported Expect header: only 100-continue is understood'));
    response.writeHead(400, {
      'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
      'content-length': Buffer.byteLength(json),
      connection: 'close',
    });
    response.end(json);
  });
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    writeRawProblem(socket, problem('NOT_FOUND', 'no route for CONNECT'));
    socket.end();
  });
}
