import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { sameFile, type FileStamp } from '../files/file-stamp.js';
import { readUpTo, type ByteSource } from '../reading/byte-source.js';
import type { StoredFile } from './store.js';

/**
 * The home a store's rows belong to: this machine's name and the Codex home's absolute path.
 * One store may one day hold many (a team's PostgreSQL); SQLite holds one per file.
 */
export const homeId = (codexHome: string): string => `${hostname()}:${codexHome}`;

/** Bytes sampled at each end of the indexed part of a file. */
const SAMPLE = 4096;

/**
 * The fingerprint of a file's first `end` bytes: its length and a hash of its first and last
 * 4 KiB. Stored with the content position, it is what tells an append (the bytes before the old
 * end unchanged) from a rewrite that grew (an editor or `cat > f` keeps the inode): a stat
 * cannot. It means the same on any machine (no inode, no mtime), so a shared store can use it.
 * A rewrite that changes only bytes between the two samples of a file over 8 KiB is not seen;
 * the periodic full pass does not see it either (docs/index.md).
 */
export async function fingerprint(source: ByteSource, end: number): Promise<string> {
  const hash = createHash('sha256');
  const head = Math.min(SAMPLE, end);
  const tailStart = Math.max(head, end - SAMPLE);
  // A file of a few samples is read at once: one read instead of two (most sessions; a build fingerprints every file).
  if (end <= ONE_READ) {
    const whole = await readUpTo(source, 0, end);
    hash.update(whole.subarray(0, Math.min(head, whole.length)));
    if (tailStart < end) hash.update(whole.subarray(Math.min(tailStart, whole.length)));
    return `${end}:${hash.digest('base64url')}`;
  }
  for (const [from, to] of [
    [0, head],
    [tailStart, end],
  ] as const) {
    if (to <= from) continue;
    hash.update(await readUpTo(source, from, to));
  }
  return `${end}:${hash.digest('base64url')}`;
}

/** Up to 64 KiB: read whole, copying the bytes between the samples costs less than a second read. */
const ONE_READ = 16 * SAMPLE;

/**
 * The staleness rule. A row is current for a file that stats as `now` when it was taken at the
 * same stamp (this machine: device, inode, size, mtime, ctime) and its content reached that size.
 */
export function isCurrent(row: StoredFile, now: FileStamp): boolean {
  return sameFile(row.stamp, now) && (!row.isSession || row.contentSize === now.size);
}

/**
 * A file that changed keeps what was indexed of it only when it was appended to: the same file
 * (device, inode), larger, and the bytes before its indexed end are those that were indexed
 * (the same fingerprint). An unchanged stamp keeps it too (a pass that was interrupted resumes).
 */
export async function onlyAppended(
  row: StoredFile,
  now: FileStamp,
  printOf: (end: number) => Promise<string | null>,
): Promise<boolean> {
  if (row.content === null) return false;
  if (sameFile(row.stamp, now)) return true;
  if (row.stamp.ino !== now.ino || row.stamp.dev !== now.dev || now.size <= row.stamp.size) return false;
  if (row.content.offset === 0) return true; // nothing indexed yet: nothing to keep
  if (row.fingerprint === null) return false;
  return (await printOf(row.content.offset)) === row.fingerprint;
}
