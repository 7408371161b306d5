import { HttpProblem } from '../../http/problem.js';
import type { Append } from './file-store.js';

/** The media type of a batch: one JSON line naming the pieces, then their bytes back to back. */
export const BATCH_TYPE = 'application/x-codex-sessions-batch';
/** Pieces in one batch at most; their bytes together are bounded by MAX_PUSH_BYTES. */
export const MAX_BATCH_FILES = 256;
/** Bytes of the JSON line at most. */
export const MAX_MANIFEST_BYTES = 64 * 1024;

export interface BatchEntry {
  path: string;
  offset: number;
  length: number;
  replace?: boolean;
  /** The local copy's modification time (whole ms). */
  mtime?: number;
}

/** Encodes a batch (the agent's side). */
export function encodeBatch(entries: BatchEntry[], pieces: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(entries)}\n`), ...pieces]);
}

function bad(detail: string): HttpProblem {
  return new HttpProblem('INVALID_QUERY', `malformed batch: ${detail}`);
}

/** Decodes and checks a batch's shape; each path is checked by `checkPath` (which throws). */
export function decodeBatch(body: Buffer, checkPath: (path: unknown) => string): Append[] {
  const newline = body.subarray(0, MAX_MANIFEST_BYTES + 1).indexOf(0x0a);
  if (newline === -1) throw bad(`the first line (at most ${MAX_MANIFEST_BYTES} bytes) must list the pieces`);
  let entries: unknown;
  try {
    entries = JSON.parse(body.subarray(0, newline).toString('utf8'));
  } catch {
    throw bad('the first line is not JSON');
  }
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_BATCH_FILES) {
    throw bad(`the first line must be an array of 1 to ${MAX_BATCH_FILES} pieces`);
  }
  const appends: Append[] = [];
  const paths = new Set<string>();
  let at = newline + 1;
  for (const entry of entries as Partial<BatchEntry>[]) {
    const { offset, length, replace, mtime } = entry ?? {};
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || !Number.isSafeInteger(length) || (length as number) < 0) {
      throw bad('each piece needs a whole offset and length');
    }
    if (replace !== undefined && typeof replace !== 'boolean') throw bad('replace must be true or false');
    if (replace === true && offset !== 0) throw bad('a replacement starts at offset 0');
    if (mtime !== undefined && (!Number.isSafeInteger(mtime) || mtime < 0)) throw bad('mtime must be whole milliseconds');
    const path = checkPath(entry?.path);
    if (paths.has(path)) throw bad(`${path} appears twice`);
    paths.add(path);
    if (at + (length as number) > body.length) throw bad('the pieces are longer than the body');
    const data = body.subarray(at, at + (length as number));
    appends.push({ path, offset: offset as number, data, replace: replace === true, mtimeMs: mtime ?? null });
    at += length as number;
  }
  if (at !== body.length) throw bad('bytes after the last piece');
  return appends;
}
