import { fingerprint } from './layout.js';

/** What the server holds of one pushed file. */
export interface PushedFile {
  path: string;
  size: number;
  /** Fingerprint of the first FINGERPRINT_BYTES bytes (fewer when the file is shorter). */
  head: string;
  /** Fingerprint of the last FINGERPRINT_BYTES bytes before `size`. */
  tail: string;
  /** The pushing machine's modification time of its copy when it was last sent (ms), if it said. */
  mtimeMs: number | null;
}

/** The append named an offset other than the server's length; `size` is the length it holds. */
export class OffsetMismatch extends Error {
  override name = 'OffsetMismatch';
  constructor(
    readonly size: number,
    readonly path: string,
  ) {
    super(`the server holds ${size} bytes of ${path}`);
  }
}

export interface Append {
  path: string;
  offset: number;
  data: Buffer;
  /** Drop what is held first (offset 0): the file was rewritten. */
  replace: boolean;
  /** The local copy's modification time (ms), kept so that an unchanged file needs no content check next time. */
  mtimeMs: number | null;
}

export function pushed(path: string, size: number, head: Buffer, tail: Buffer, mtimeMs: number | null): PushedFile {
  return { path, size, head: fingerprint(head), tail: fingerprint(tail), mtimeMs };
}
