import type { OpenConversation } from '../rollout/repository.js';
import { summaryFields } from './list-body.js';

const FLUSH_BYTES = 64 * 1024;
/** Beyond this many invalid lines only the count grows, so a garbage file cannot exhaust memory. */
export const MAX_REPORTED_INVALID_LINES = 10_000;

/**
 * The JSON form of one session, produced piece by piece so that a session of any size is
 * served in bounded memory: `{"conversation": ..., "records": [...], "invalidLines": [...]}`.
 * Records are the file's own JSON text, so they come out exactly as written; small ones are
 * gathered into pieces of about FLUSH_BYTES, and a long one is copied from the file in chunks
 * without ever being held whole. The caller closes the conversation (see byteStream).
 */
export async function* conversationJson(conv: OpenConversation): AsyncGenerator<Buffer> {
  const invalid: { line: number; reason: string }[] = [];
  let invalidCount = 0;
  let parts: Buffer[] = [Buffer.from(`{"conversation":${summaryFields(conv.summary)}},"records":[`, 'utf8')];
  let size = parts[0]!.length;
  let first = true;
  const flush = () => {
    const out = Buffer.concat(parts);
    parts = [];
    size = 0;
    return out;
  };
  for await (const event of conv.records()) {
    if (event.kind === 'invalid') {
      invalidCount += 1;
      if (invalid.length < MAX_REPORTED_INVALID_LINES) invalid.push({ line: event.line, reason: event.reason });
      continue;
    }
    if (!first) {
      parts.push(COMMA);
      size += 1;
    }
    first = false;
    if (event.text.bytes !== undefined) {
      parts.push(event.text.bytes);
      size += event.text.bytes.length;
    } else {
      yield flush();
      yield* conv.textOf(event.text);
    }
    if (size >= FLUSH_BYTES) yield flush();
  }
  const omitted = invalidCount - invalid.length;
  const tail = omitted > 0 ? `,"invalidLinesOmitted":${omitted}` : '';
  parts.push(Buffer.from(`],"invalidLines":${JSON.stringify(invalid)}${tail}}`, 'utf8'));
  yield flush();
}

const COMMA = Buffer.from(',');
