// Event streams over fetch (GET /events, GET /conversations/:id/events: docs/live.md), with the
// token in the Authorization header, and reconnection with Last-Event-ID as EventSource does.
import { ApiError, apiFetch, isAbort, type Params } from './client.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export type StreamState = 'connecting' | 'live' | 'retrying' | 'unsupported' | 'closed';

export interface StreamOptions {
  params?: Params;
  /** Resume after this id (Last-Event-ID); later ids come from the stream itself. */
  lastEventId?: string | null;
  onEvent: (event: SseEvent) => void;
  onState?: (state: StreamState) => void;
  signal: AbortSignal;
}

const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Reads `path` as an event stream until `signal` aborts or an `onEvent` handler throws
 * StopStream. Reconnects after errors and ends of stream, with back-off. A server without
 * this route is `unsupported` (no retries).
 */
export async function streamEvents(path: string, options: StreamOptions): Promise<void> {
  const { signal } = options;
  let lastEventId = options.lastEventId ?? null;
  let delay = MIN_RETRY_MS;
  while (!signal.aborted) {
    options.onState?.('connecting');
    const parser = new SseParser();
    parser.lastEventId = lastEventId;
    let reader: ReadableStreamDefaultReader<string> | null = null;
    try {
      const headers: Record<string, string> = lastEventId === null ? {} : { 'last-event-id': lastEventId };
      const response = await apiFetch(path, { params: options.params, accept: 'text/event-stream', headers, signal });
      options.onState?.('live');
      delay = MIN_RETRY_MS;
      reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
        .getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          lastEventId = event.id;
          options.onEvent(event);
        }
        // Also an id-only frame (where the stream starts): a reconnect resumes from there.
        lastEventId = parser.lastEventId;
      }
    } catch (err) {
      if (err instanceof StopStream || isAbort(err) || signal.aborted) {
        void reader?.cancel().catch(() => {});
        break;
      }
      if (err instanceof ApiError && (err.missingRoute || err.status === 400 || err.status === 403)) {
        options.onState?.('unsupported');
        return;
      }
    }
    if (signal.aborted) break;
    options.onState?.('retrying');
    await wait(parser.retryMs ?? delay, signal);
    delay = Math.min(MAX_RETRY_MS, delay * 2);
  }
  options.onState?.('closed');
}

/** Thrown by an onEvent handler to end the stream for good (a followed session is gone). */
export class StopStream extends Error {}
