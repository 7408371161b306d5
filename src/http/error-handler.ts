import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RolloutError } from '../rollout/errors.js';
import { HttpProblem, KIND_TO_CODE, sendProblem } from './problem.js';

/** Seconds a client is told to wait when something waits for the index. */
const UNAVAILABLE_RETRY_S = 30;

/**
 * Every error leaves as application/problem+json with the enum's code. Details of 5xx errors
 * (causes, paths, stacks) go to the log only.
 */
export function registerErrorHandling(app: FastifyInstance): void {
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
      // Work that waits for the index: a client can try again once the first build is done.
      const retry: Record<string, string> = code === 'SERVICE_UNAVAILABLE' ? { 'retry-after': String(UNAVAILABLE_RETRY_S) } : {};
      return sendProblem(reply, code, error.message, retry);
    }
    if (error.validation) {
      const code = error.validationContext === 'params' ? 'INVALID_ID' : 'INVALID_QUERY';
      return sendProblem(reply, code, error.message);
    }
    if (error.statusCode === 400 || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendProblem(reply, 'INVALID_QUERY', 'malformed request');
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 'SCAN_FAILED', 'internal error; see the server log');
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}

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
