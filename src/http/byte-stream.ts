import { Readable } from 'node:stream';

/** Bytes a response body buffers before it waits for the client to read. */
export const BODY_HIGH_WATER_MARK = 64 * 1024;

/**
 * A response body from an async iterator of buffers, with back-pressure in bytes: the next
 * piece is produced only while less than BODY_HIGH_WATER_MARK bytes wait to be sent (unlike
 * `Readable.from`, which buffers 16 pieces whatever their size). `cleanup` runs exactly once,
 * when the body ends, fails or is abandoned, including before its first piece: a client that
 * disconnects before the stream starts leaves a generator that never ran, whose `finally`
 * would not run either.
 */
export function byteStream(pieces: AsyncIterator<Buffer>, cleanup: () => void | Promise<void>): Readable {
  let pulling = false;
  let cleaned: Promise<void> | null = null;
  const clean = () => (cleaned ??= Promise.resolve().then(cleanup));
  return new Readable({
    highWaterMark: BODY_HIGH_WATER_MARK,
    read() {
      if (pulling) return;
      pulling = true;
      void (async () => {
        try {
          while (!this.destroyed) {
            const next = await pieces.next();
            if (next.done === true) {
              this.push(null);
              return;
            }
            if (!this.push(next.value)) return; // read() is called again once the client has taken enough
          }
        } catch (err) {
          this.destroy(err as Error);
        } finally {
          pulling = false;
        }
      })();
    },
    destroy(err, callback) {
      // The generator is told to stop first (after a read under way: a descriptor must not be
      // closed while a read on it is in flight), then cleanup closes what it holds.
      const stop = Promise.resolve(pieces.return?.()).catch(() => {});
      void stop.then(clean).then(
        () => callback(err),
        (cleanupErr: unknown) => callback((err ?? cleanupErr) as Error | null),
      );
    },
  });
}
