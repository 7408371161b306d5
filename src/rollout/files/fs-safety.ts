import { realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { sep } from 'node:path';

/** True when `child` is `root` itself or lies below it (both already resolved). */
export function isWithin(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep);
}

export type EntryKind = 'file' | 'directory';

/**
 * What a directory entry really is, following a symbolic link only when its target stays
 * inside `realRoot`. Links that escape, dangle or loop, and anything that is neither a
 * regular file nor a directory (FIFOs, sockets, devices), come back as null and are ignored.
 */
export async function entryKind(entry: Dirent, absPath: string, realRoot: string): Promise<EntryKind | null> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (!entry.isSymbolicLink()) return null;
  try {
    const target = await realpath(absPath);
    if (!isWithin(realRoot, target)) return null;
    const st = await stat(target);
    if (st.isFile()) return 'file';
    if (st.isDirectory()) return 'directory';
    return null;
  } catch {
    return null;
  }
}

/** Errors that mean "this path is not there (any more)": a race with a deletion, or a file where a directory was expected. */
export function isAbsentError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** `entryKind` for a path rather than a directory entry (used for watcher events). */
export async function pathKind(absPath: string, realRoot: string): Promise<EntryKind | null> {
  try {
    const target = await realpath(absPath);
    if (!isWithin(realRoot, target)) return null;
    const st = await stat(target);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : null;
  } catch {
    return null;
  }
}
