import type { FastifyInstance } from 'fastify';

/** Waits until the app's metadata index has completed a pass (polls /readyz). */
export async function indexReady(app: FastifyInstance, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await app.inject('/readyz');
    if (res.json().index?.complete) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('index did not complete');
}
