import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { LiveSettings } from '../config.js';
import { HttpProblem } from './problem.js';

export const EVENT_STREAM = 'text/event-stream';

/** Bytes of a stream's own buffer before `room()` makes a follower wait (the client is slow, not gone). */
const HIGH_WATER = 64 * 1024;
/** After shutdown has ended every stream, a client that does not take the end is cut off this much later. */
const SHUTDOWN_GRACE_MS = 1000;

export interface SseFields {
  id?: number;
  event?: string;
  /** Sent as `data:` lines: a line break inside starts another `data:` line (it reads back as `\n`). */
  data?: string | Buffer;
}

const CR = 0x0d;

/**
 * One event in the text/event-stream format. A record's JSON text has no line feed (it is one
 * line of the file) but may hold a carriage return between tokens, which the format would
 * read as a line break: such data is split into several `data:` lines, which read back as
 * the same JSON with `\n` in place of `\r`.
 */
export function sseFrame({ id, event, data }: SseFields): Buffer {
  let head = '';
  if (event !== undefined) head += `event: ${event}\n`;
  if (id !== undefined) head += `id: ${id}\n`;
  if (data === undefined) return Buffer.from(`${head}\n`);
  if (Buffer.isBuffer(data) && !data.includes(CR)) return Buffer.concat([Buffer.from(`${head}data: `), data, Buffer.from('\n\n')]);
  const lines = data.toString('utf8').split(/\r\n|\r|\n/);
  return Buffer.from(`${head}${lines.map((l) => `data: ${l}\n`).join('')}\n`);
}

/** The body of one event stream: frames are pushed into it, and Fastify pipes it to the socket. */
class FrameSource extends Readable {
  onDemand: (() => void) | null = null;

  override _read(): void {
    const wake = this.onDemand;
    this.onDemand = null;
    wake?.();
  }
}

/**
 * One open event stream. Its buffer is bounded: a client that stops reading while events keep
 * coming is dropped once `streamBufferBytes` wait for it (the frames in this stream plus the
 * response's own buffer), so the server's memory does not grow with it. A follower does not
 * wait to be dropped: it reads the file only when `room()` says the client took what it had.
 */
export class SseStream {
  readonly body = new FrameSource({ highWaterMark: HIGH_WATER });
  private heartbeat: NodeJS.Timeout;
  private done = false;
  private readonly closers: (() => void)[] = [];

  constructor(
    private readonly reply: FastifyReply,
    private readonly settings: LiveSettings,
  ) {
    this.heartbeat = setInterval(() => this.send(': keep-alive\n\n'), settings.heartbeatMs);
    this.heartbeat.unref();
    this.body.once('close', () => this.finish());
    reply.raw.once('close', () => this.finish());
  }

  get closed(): boolean {
    return this.done;
  }

  /** Bytes waiting for the client in this process (the frames queued here and the response's own buffer). */
  get waiting(): number {
    return this.done ? 0 : this.body.readableLength + this.reply.raw.writableLength;
  }

  /** Runs `fn` once when the stream ends, whoever ends it (the client, a drop, the server). */
  onClose(fn: () => void): void {
    if (this.done) fn();
    else this.closers.push(fn);
  }

  /**
   * Queues a frame; false when the stream is closed, or was just dropped because more than
   * `streamBufferBytes` wait for its client already (one frame is always taken when less do,
   * so a record longer than the buffer still reaches a client that reads).
   */
  send(frame: Buffer | string): boolean {
    if (this.done) return false;
    const waiting = this.waiting;
    if (waiting > this.settings.streamBufferBytes) {
      this.reply.log.info({ waiting }, 'dropping an event-stream client that stopped reading');
      this.drop();
      return false;
    }
    this.body.push(frame);
    return true;
  }

  /** Resolves when the client has taken what was queued (or the stream closed): a follower then reads on. */
  room(): Promise<void> {
    if (this.done || this.body.readableLength < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => {
      this.body.onDemand = resolve;
      this.onClose(resolve);
    });
  }

  /** Ends the stream cleanly: the client sees a complete response. */
  end(): void {
    if (this.done) return;
    clearInterval(this.heartbeat);
    this.body.push(null);
  }

  /** Ends it, and cuts the connection if the client has not taken the end after a grace period. */
  shutdown(): void {
    this.end();
    const cut = setTimeout(() => this.drop(), SHUTDOWN_GRACE_MS);
    cut.unref();
    this.onClose(() => clearTimeout(cut));
  }

  private drop(): void {
    this.body.destroy();
    this.reply.raw.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    for (const fn of this.closers.splice(0)) fn();
  }
}

/**
 * Every open event stream, both kinds together, at most `maxStreams` of them. Shutdown ends
 * them all and refuses new ones.
 */
export class StreamRegistry {
  private readonly open = new Set<SseStream>();
  private closing = false;

  constructor(
    private readonly maxStreams: number,
    private readonly settings: LiveSettings,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Bytes waiting for clients across all streams: bounded by maxStreams × (streamBufferBytes + one frame). */
  get waiting(): number {
    let bytes = 0;
    for (const s of this.open) bytes += s.waiting;
    return bytes;
  }

  /** Throws 503 SERVICE_UNAVAILABLE (with Retry-After) when no stream can be opened now. */
  check(): void {
    const headers = { 'retry-after': String(this.settings.retryAfterSeconds) };
    if (this.closing) throw new HttpProblem('SERVICE_UNAVAILABLE', 'the server is shutting down', headers);
    if (this.open.size >= this.maxStreams) {
      throw new HttpProblem('SERVICE_UNAVAILABLE', `all ${this.maxStreams} event streams are in use; retry later`, headers);
    }
  }

  /** Opens a stream on `reply` (check() first): sets the headers and starts sending the body. */
  start(reply: FastifyReply): SseStream {
    this.check();
    const stream = new SseStream(reply, this.settings);
    this.open.add(stream);
    stream.onClose(() => this.open.delete(stream));
    reply
      .type(`${EVENT_STREAM}; charset=utf-8`)
      .header('cache-control', 'no-cache, private')
      .header('x-accel-buffering', 'no');
    void reply.send(stream.body);
    return stream;
  }

  /** Ends every stream; resolves when all are closed. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const streams = [...this.open];
    await Promise.all(
      streams.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.onClose(resolve);
            s.shutdown();
          }),
      ),
    );
  }
}
