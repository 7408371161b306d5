import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

function describe(request: FastifyRequest) {
  // The path only: query strings can carry search text typed by the user.
  return { method: request.method, route: request.routeOptions.url ?? null, path: request.url.split('?', 1)[0] };
}

/** One structured line per request (id, route, status, duration); nothing read from a session. */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug(describe(request), 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { ...describe(request), statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 100) / 100 };
    if (error) request.log.error({ ...fields, err: error }, 'request errored');
    else request.log.info(fields, 'request completed');
  }
}
