import { createHash } from 'node:crypto';

/**
 * The paths a push may name, relative to the Codex home: dated rollouts, archived rollouts and the
 * names file. Anything else (another file of the home, a `..`, an absolute path) is refused, so
 * that the server only ever holds what the single-machine service would read.
 */
const DATED = /^sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-[A-Za-z0-9._:-]{1,200}\.jsonl$/;
const ARCHIVED = /^archived_sessions\/(?:\d{4}\/\d{2}\/\d{2}\/)?rollout-[A-Za-z0-9._:-]{1,200}\.jsonl$/;
export const NAMES_FILE = 'session_index.jsonl';

export type PathProblem = 'INVALID_PATH' | 'PATH_OUTSIDE_LAYOUT';

/** Null when `path` is one the layout allows; otherwise why not. */
export function checkPushPath(path: string): PathProblem | null {
  if (path.length === 0 || path.length > 512) return 'INVALID_PATH';
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0')) return 'INVALID_PATH';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) return 'INVALID_PATH';
  if (path === NAMES_FILE || DATED.test(path) || ARCHIVED.test(path)) return null;
  return 'PATH_OUTSIDE_LAYOUT';
}

/** Bytes of the start and of the end of a file that its fingerprints cover. */
export const FINGERPRINT_BYTES = 1024;

/**
 * A short digest of a window of a file: the agent compares the server's head and tail windows
 * with its own copy's at the server's length to tell an append (both equal) from a rewrite.
 */
export function fingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}

/**
 * One digest of every file a machine holds: its path, length and the pusher's mtime, in path
 * order. Equal on both sides, nothing changed since the last push (the agent's rule: same length
 * and mtime, not read), so a push with no change needs one small answer instead of the whole
 * listing. The server computes the same in SQL (FileStore.digest); paths are ASCII (the layout),
 * so JavaScript's order is the bytewise order of the column.
 */
export function holdingsDigest(files: Iterable<{ path: string; size: number; mtimeMs: number | null }>): string {
  const lines = [...files].map((f) => `${f.path}\t${f.size}\t${f.mtimeMs ?? ''}\n`);
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}
