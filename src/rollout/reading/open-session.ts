import { RolloutError, RolloutErrorKind, scanFailed } from '../errors.js';
import { isMissingOrUnsafe } from '../files/fs-safety.js';
import type { RolloutFile } from '../types.js';
import { openIn, type OpenRollout, type ReadEnv } from './session-reader.js';

/**
 * Opens the one session a request is about (a regular file inside the home only): a file that is
 * gone, or is not a regular file inside the home, is NotFound (the request named it by id); any
 * other failure is ScanFailed (Unavailable when out of file descriptors). Scans over many files
 * open with openRollout and judge failures themselves.
 */
export async function openSession(file: RolloutFile, where: string | Pick<ReadEnv, 'realRoot' | 'open'>): Promise<OpenRollout> {
  try {
    return await openIn(file, typeof where === 'string' ? { realRoot: where } : where);
  } catch (err) {
    if (isMissingOrUnsafe(err)) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
    throw scanFailed(`cannot open ${file.relPath}`, err);
  }
}
