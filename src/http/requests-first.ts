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
    app.addHook('onRequest', async (request) => {
      under.set(request, count.arrived());
    });
    app.addHook('onSend', async (request) => {
      await over(request);
    });
    app.addHook('onResponse', over); // also ends a reply its route took over (MCP's), which runs no onSend
    app.addHook('onRequestAbort', over);
  },
  { name: 'requests-first' },
);
