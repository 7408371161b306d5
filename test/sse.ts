import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { eventually } from './net.js';

/** One parsed server-sent event (comments are kept apart). */
export interface SseEvent {
  event: string | null;
  id: string | null;
  data: string | null;
}

/**
 * A test client of one event stream over a fresh connection: parses frames as they arrive
 * (the text/event-stream rules: fields per line, a blank line ends a frame, several `data:`
 * lines join with `\n`). `pause()` stops reading the socket, like a client that hangs.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  headers: IncomingMessage['headers'] = {};
  ended = false;
  /** The response ended cleanly (as opposed to a cut connection). */
  complete = false;
  bytes = 0;
  private buffer = '';
  private res: IncomingMessage | null = null;
  private req!: ClientRequest;
  readonly ready: Promise<void>;

  constructor(port: number, path: string, headers: Record<string, string> = {}) {
    this.ready = new Promise((resolve, reject) => {
      this.req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        this.res = res;
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.bytes += Buffer.byteLength(chunk);
          this.take(chunk);
        });
        res.on('error', () => {});
        res.on('end', () => (this.complete = true));
        res.on('close', () => (this.ended = true));
        resolve();
      });
      this.req.on('error', (err) => {
        this.ended = true;
        reject(err);
      });
      this.req.end();
    });
  }

  /** The response body so far, for a non-200 answer (problem+json). */
  get text(): string {
    return this.buffer;
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    if (this.status !== 200) return;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: null, id: null, data: null };
      let comment = false;
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) {
          comment = true;
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
        else if (field === 'data') event.data = event.data === null ? value : `${event.data}\n${value}`;
      }
      if (comment && event.event === null && event.id === null && event.data === null) this.comments += 1;
      else this.events.push(event);
    }
  }

  /** The events named `name`. */
  named(name: string): SseEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  /** The id a reconnecting EventSource would send: the last `id:` field seen. */
  get lastId(): string | null {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i]!.id !== null) return this.events[i]!.id;
    return null;
  }

  /** Waits (generously) until `check` holds; throws with what was received when it never does. */
  async until(check: (c: this) => boolean, ms = 10_000): Promise<void> {
    await this.ready;
    const ok = await eventually(() => check(this), (v) => v, ms);
    const last = JSON.stringify(this.events.slice(-5));
    if (!ok) throw new Error(`condition not met; status ${this.status}, ${this.events.length} events, the last: ${last}`);
  }

  pause(): void {
    this.res?.pause();
    this.res?.socket?.pause();
  }

  resume(): void {
    this.res?.socket?.resume();
    this.res?.resume();
  }

  close(): void {
    this.req.destroy();
    this.res?.destroy();
  }
}

/**
 * A client that sends a GET and then never reads a byte: a raw socket, paused from the start,
 * so that the kernel's receive buffer stays small and the server's writes back up at once.
 * `closed` resolves when the connection is closed (once the socket is resumed: a paused one does not notice).
 */
export function stalledClient(port: number, path: string): { socket: Socket; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port });
  socket.pause();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  return { socket, closed };
}

/** Opens a stream with `open` until one is accepted (a slot freed by a closed stream comes back a moment later). */
export async function acceptedStream(open: () => SseClient, ms = 10_000): Promise<SseClient> {
  const attempt = async () => {
    const c = open();
    await c.ready;
    if (c.status !== 200) c.close();
    return c;
  };
  return eventually(attempt, (c) => c.status === 200, ms);
}
