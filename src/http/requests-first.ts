import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { requestsFirst as processCount, type RequestsFirst } from '../rollout/index/give-way.js';

/**
 * Counts each request as under way from its arrival until its response is handed to the socket
 * (or its client went away), so that a background index pass lets it go first
 * (rollout/index/give-way.ts). An event stream is counted until its headers are sent: what it
 * sends later is not work the build delays. `count` is the process's unless given (tests).
 */
export const requestsFirst = fp<{ count?: RequestsFirst }>(
  async (app, { count = processCount }) => {
    const under = new WeakMap<FastifyRequest, () => void>();
    const over = async (request: FastifyRequest) => under.get(request)?.();
    app.addHook('onRequest', async (request, reply) => {
      const end = count.arrived();
      under.set(request, end);
      // The response's close ends a reply its route took over (MCP's), which runs no onSend, and
      // one whose client went away. Fastify's onRequestAbort misses a client gone after sending a
      // whole body (a POST: Node marks only an unread request aborted), and onResponse runs only
      // on a finished response: such a request stayed counted for REQUEST_HOLDS_MS, a second per
      // step of any pass meanwhile.
      reply.raw.once('close', end);
    });
    app.addHook('onSend', async (request) => {
      await over(request);
    });
  },
  { name: 'requests-first' },
);
