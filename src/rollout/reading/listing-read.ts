import type { Stats } from 'node:fs';
import { isExhausted, rethrowIfNotTheFile, scanFailed } from '../errors.js';
import type { RecordText, RolloutFile, RolloutLogger } from '../types.js';
import type { ByteSource } from './byte-source.js';
import { openIn, readTail, type Allowance, type ReadEnv } from './session-reader.js';

/** What a source's head scan found: null when the file is not a session of that source. */
export type HeadScan<H> = (source: ByteSource, stat: Stats, allowance: Allowance) => Promise<H | null>;

/**
 * One file's listing read, whatever source wrote it: open it (only a regular file inside the
 * home), scan its head with the source's own reader, read its last `tailCount` records, and
 * close it. Both share one allowance of held bytes. A file that cannot be opened or read is
 * skipped (null, logged at debug), except when the process is out of descriptors or memory:
 * that fails the request instead of silently shortening it.
 */
export async function readListing<H extends object>(
  file: RolloutFile,
  tailCount: number,
  env: ReadEnv,
  log: RolloutLogger,
  scan: HeadScan<H>,
): Promise<{ stat: Stats; read: (H & { tail: RecordText[]; stat: Stats }) | null } | null> {
  let opened;
  try {
    opened = await openIn(file, env);
  } catch (err) {
    if (isExhausted(err)) throw scanFailed(`cannot open ${file.relPath}`, err);
    log.debug({ path: file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
    return null;
  }
  const { source, stat } = opened;
  try {
    const allowance = { left: env.limits.inlineBytesPerRead };
    const head = await scan(source, stat, allowance);
    if (head === null) return { stat, read: null };
    const tail = tailCount > 0 ? await readTail(source, stat.size, tailCount, env.limits, allowance) : [];
    return { stat, read: { ...head, tail, stat } };
  } catch (err) {
    rethrowIfNotTheFile(err, `cannot read ${file.relPath}`);
    log.debug({ path: file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
    return null;
  } finally {
    await opened.close();
  }
}
