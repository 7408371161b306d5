// An event stream of a team server read as it arrives (GET /events, /conversations/:id/events).
import { request, type IncomingMessage } from 'node:http';
import { expect } from 'vitest';

export interface Frame {
  event?: string;
  id?: string;
  data?: string;
  /** When it arrived (Date.now()). */
  at?: number;
}

export interface EventStream {
  frames: Frame[];
  /** The first frame that `pred` accepts, waiting for it. */
  next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves once the server ended the stream. */
  ended: Promise<void>;
  close(): Promise<void>;
}

/**
 * An open event stream: the frames as they arrive. Over a connection of its own (node:http, no
 * agent), ended with the stream: a stream read with `fetch` and aborted left the server a connection
 * on which no request came, and closing that server waited seconds for the client to drop it.
 */
export async function openEvents(base: string, path: string, token: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const { hostname, port } = new URL(base);
  const req = request({ host: hostname, port, path, headers: { authorization: `Bearer ${token}`, ...headers }, agent: false });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve).on('error', reject).end();
  });
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    expect(res.statusCode, Buffer.concat(chunks).toString('utf8')).toBe(200);
  }
  const frames: Frame[] = [];
  let text = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of res) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const frame: Frame = { at: Date.now() };
        for (const line of text.slice(0, end).split('\n')) {
          const at = line.indexOf(': ');
          if (at > 0) frame[line.slice(0, at) as 'event' | 'id' | 'data'] = line.slice(at + 2);
        }
        frames.push(frame);
        text = text.slice(end + 2);
      }
    }
  })().catch(() => {});
  const next = async (pred: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = frames.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no such frame in ${JSON.stringify(frames)}`);
  };
  return { frames, next, ended: reading, close: async () => (req.destroy(), await reading) };
}

/** Waits until `check` holds (a background catch-up, a push landing). */
export async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
