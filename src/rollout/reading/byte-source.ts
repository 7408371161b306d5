import { read as fsRead } from 'node:fs';

/** What the readers need of an open file: positional reads (a FileHandle is one). */
export interface ByteSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

export const CHUNK = 64 * 1024;

/** Positional reads on a plain descriptor, through fs.read's callback form (cheaper than FileHandle's promises). */
export function fdSource(fd: number): ByteSource {
  return {
    read: (buffer, offset, length, position) =>
      new Promise((resolve, reject) =>
        fsRead(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead }))),
      ),
  };
}

/**
 * The bytes of `source` from `from` up to `to`, in chunks of at most CHUNK bytes. One buffer is
 * reused: the consumer must copy or finish with a chunk before asking for the next one.
 */
export async function* chunksOf(source: ByteSource, to: number, from = 0): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(to - from, 1)));
  for (let position = from; position < to; ) {
    const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, to - position), position);
    if (bytesRead === 0) return; // truncated under us: what was read is all there is
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** The bytes from `from` to `to` in a fresh buffer, fewer when the file is shorter now. */
export async function readUpTo(source: ByteSource, from: number, to: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(to - from);
  let got = 0;
  while (got < buffer.length) {
    const { bytesRead } = await source.read(buffer, got, buffer.length - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}

/** `length` bytes at `position` in a fresh buffer, or null when the file is shorter now. */
export async function readExactly(source: ByteSource, position: number, length: number): Promise<Buffer | null> {
  const out = Buffer.allocUnsafe(length);
  for (let at = 0; at < length; ) {
    const { bytesRead } = await source.read(out, at, length - at, position + at);
    if (bytesRead === 0) return null;
    at += bytesRead;
  }
  return out;
}
