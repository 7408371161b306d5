import type { OpenConversation } from '../rollout/repository.js';
import { summaryFields } from './list-body.js';

const FLUSH_BYTES = 64 * 1024;
/** Beyond this many invalid lines only the count grows, so a garbage file cannot exhaust memory. */
export const MAX_REPORTED_INVALID_LINES = 10_000;

/**
 * The JSON form of one session, produced piece by piece so that a session of any size is
 * served in bounded memory: `{"conversation": ..., "records": [...], "invalidLines": [...]}`.
 * Records are the file's own JSON text, so they come out exactly as written.
 *
 * The file is closed when the body ends, fails, or is abandoned at any point, including
 * before its first piece: a client that disconnects before the stream starts makes the
 * stream call `return()`/`throw()` on a generator that never ran, which skips its `finally`.
 */
export function conversationJson(conv: OpenConversation): AsyncGenerator<string> {
  let closed: Promise<void> | null = null;
  const close = () => (closed ??= conv.close());
  const inner = pieces(conv, close);
  const outer: AsyncGenerator<string> = {
    next: (...args) => inner.next(...args),
    return: async (value) => {
      try {
        return await inner.return(value);
      } finally {
        await close();
      }
    },
    throw: async (err) => {
      try {
        return await inner.throw(err);
      } finally {
        await close();
      }
    },
    [Symbol.asyncIterator]: () => outer,
  } as AsyncGenerator<string>;
  return outer;
}

async function* pieces(conv: OpenConversation, close: () => Promise<void>): AsyncGenerator<string> {
  const invalid: { line: number; reason: string }[] = [];
  let invalidCount = 0;
  try {
    let buffer = `{"conversation":${summaryFields(conv.summary)}},"records":[`;
    let first = true;
    for await (const event of conv.records()) {
      if (event.kind === 'invalid') {
        invalidCount += 1;
        if (invalid.length < MAX_REPORTED_INVALID_LINES) invalid.push({ line: event.line, reason: event.reason });
        continue;
      }
      buffer += first ? event.text : `,${event.text}`;
      first = false;
      if (buffer.length >= FLUSH_BYTES) {
        yield buffer;
        buffer = '';
      }
    }
    const omitted = invalidCount - invalid.length;
    const tail = omitted > 0 ? `,"invalidLinesOmitted":${omitted}` : '';
    yield `${buffer}],"invalidLines":${JSON.stringify(invalid)}${tail}}`;
  } finally {
    await close();
  }
}
