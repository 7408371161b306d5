// An event stream of a team server read as it arrives (GET /events, /conversations/:id/events).
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

/** An open event stream: the frames as they arrive. */
export async function openEvents(base: string, path: string, token: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: abort.signal });
  expect(res.status, await (res.status === 200 ? '' : res.text())).toBe(200);
  const frames: Frame[] = [];
  let text = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
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
  return { frames, next, ended: reading, close: async () => (abort.abort(), await reading) };
}

/** Waits until `check` holds (a background catch-up, a push landing). */
export async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
