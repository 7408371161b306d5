import fp from 'fastify-plugin';
import { HttpProblem } from './problem.js';
import type { StreamRegistry } from './sse.js';

export interface ShutdownOptions {
  streams: StreamRegistry;
  /** Retry-After (seconds) of the 503 a request gets while the server shuts down. */
  retryAfterS: number;
}

/** A prompt, clean close: event streams ended, new requests refused, idle connections closed. */
export const shutdown = fp<ShutdownOptions>(
  async (app, { streams, retryAfterS }) => {
    // Once closing, a keep-alive connection whose response just finished would hold the
    // shutdown open until the client drops it: close each one as it goes idle.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
      // Event streams never finish by themselves: end them, so that the close is prompt.
      await streams.closeAll();
    });
    app.addHook('onRequest', async () => {
      if (closing) {
        throw new HttpProblem('SERVICE_UNAVAILABLE', 'the server is shutting down', {
          'retry-after': String(retryAfterS),
          connection: 'close',
        });
      }
    });
    app.addHook('onResponse', async () => {
      if (closing) setImmediate(() => app.server.closeIdleConnections());
    });
  },
  { name: 'shutdown' },
);
