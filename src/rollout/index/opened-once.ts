import { CHUNK, readUpTo, type ByteSource } from '../reading/byte-source.js';
import { openIn, type OpenRollout, type ReadEnv } from '../reading/session-reader.js';
import type { RolloutFile } from '../types.js';

/** The first bytes of a file kept once read: all of a small file (most sessions), the first chunk of a larger one. */
export const HELD_BYTES = CHUNK;

/** One file opened once for all the reads of its update, and closed once (`close`). */
export interface OpenedOnce {
  /** The file, opened at the first call; later calls share that descriptor, and closing what they return does nothing. */
  open(): Promise<OpenRollout>;
  /** Closes the descriptor, if the file was opened. */
  close(): Promise<void>;
}

/**
 * An update of one file reads it up to four times: its fingerprint when it grew, the head read
 * (a Claude head then seeks names in the lines after it), the content pass, and the fingerprint
 * of every step of that pass. Each opened the file (lstat, open, fstat, readlink, close) and read
 * its start again. Here the file is opened once, and its first HELD_BYTES are read once, at the
 * first read that falls within them: every later read within them is a copy. All the reads of an
 * update thus see the bytes of one descriptor, as the head's stamp (file-update.ts) describes.
 */
export function openedOnce(file: RolloutFile, env: Pick<ReadEnv, 'realRoot' | 'open'>): OpenedOnce {
  let opening: Promise<{ shared: OpenRollout; close: () => Promise<void> }> | null = null;
  const open = () =>
    (opening ??= openIn(file, env).then(
      (opened) => ({
        shared: { ...opened, source: holdingStart(opened.source, opened.stat.size), close: async () => {} },
        close: opened.close,
      }),
      (err: unknown) => {
        opening = null; // the next read tries again, as a read of its own did
        throw err;
      },
    ));
  return {
    open: async () => (await open()).shared,
    close: async () => {
      const held = opening;
      opening = null;
      const opened = await held?.catch(() => null);
      await opened?.close();
    },
  };
}

/** `source` with its first min(size, HELD_BYTES) bytes read once, at the first read within them. */
function holdingStart(source: ByteSource, size: number): ByteSource {
  const length = Math.min(size, HELD_BYTES);
  let start: Promise<Buffer> | null = null;
  return {
    read: async (buffer, offset, want, position) => {
      if (position + want > length) return source.read(buffer, offset, want, position);
      start ??= readUpTo(source, 0, length).catch((err: unknown) => {
        start = null;
        throw err;
      });
      const bytes = await start;
      // Shorter: the file shrank under us; the descriptor answers as it did.
      if (position + want > bytes.length) return source.read(buffer, offset, want, position);
      bytes.copy(buffer, offset, position, position + want);
      return { bytesRead: want };
    },
  };
}
