import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Lease } from '../rollout/reading/byte-budget.js';
import type { RequestKind } from '../rollout/reading/session-reader.js';
import type { SessionRepository } from '../rollout/repository.js';
import { clientKey } from './client-key.js';

const onClose = new WeakMap<Socket, Set<() => void>>();

/**
 * Runs `fn` when the connection closes (at once if it already has). One listener per socket,
 * however many requests it carries: a client pipelining hundreds of requests must not add
 * hundreds of listeners. Returns a function that forgets `fn`.
 */
function whenClosed(socket: Socket, fn: () => void): () => void {
  if (socket.destroyed) {
    fn();
    return () => {};
  }
  let pending = onClose.get(socket);
  if (pending === undefined) {
    const set = new Set<() => void>();
    onClose.set(socket, set);
    socket.once('close', () => {
      for (const f of set) f();
      set.clear();
    });
    pending = set;
  }
  const set = pending;
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * The request's share of the memory budget (see RolloutRepository.leaseFor), counted against its
 * client's share (its peer address: one client cannot hold the whole budget), given back once the
 * response is over however it ends. The connection's close is the backstop: a pipelined request
 * whose response never got the socket emits neither `finish` nor `close` on its response. A
 * request whose client goes away while it waits for room stops waiting at once, so that
 * abandoned requests do not hold the queue for those still there.
 */
export async function requestLease(
  repository: SessionRepository,
  request: FastifyRequest,
  reply: FastifyReply,
  kind: RequestKind,
  limit = 0,
): Promise<Lease> {
  const socket = request.raw.socket;
  const abandoned = new AbortController();
  const forgetWait = whenClosed(socket, () => abandoned.abort());
  let lease: Lease;
  try {
    lease = await repository.leaseFor(kind, limit, abandoned.signal, clientKey(socket.remoteAddress));
  } finally {
    forgetWait();
  }
  let forget = () => {};
  const release = () => {
    forget();
    lease.release();
  };
  forget = whenClosed(socket, release); // may call release at once: the connection is already gone
  reply.raw.once('finish', release);
  reply.raw.once('close', release);
  return lease;
}

/**
 * A signal that aborts when the request's client goes away before its response is done (the
 * connection closes): work for nobody stops (search passes it down to the scan and the index).
 */
export function clientGone(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const forget = whenClosed(request.raw.socket, () => controller.abort());
  reply.raw.once('finish', forget);
  reply.raw.once('close', () => {
    forget();
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
