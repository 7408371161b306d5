import { realpath, stat } from 'node:fs/promises';
import {
  close as fsClose,
  constants,
  existsSync,
  fstat as fsFstat,
  lstat as fsLstat,
  open as fsOpen,
  readlinkSync,
  realpath as fsRealpath,
  stat as fsStat,
  type Dirent,
  type Stats,
} from 'node:fs';
import { sep } from 'node:path';

/** True when `child` is `root` itself or lies below it (both already resolved). */
export function isWithin(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep);
}

export type EntryKind = 'file' | 'directory';

/** What a directory entry is, and where a symbolic link leads (its real path). */
export interface EntryInfo {
  kind: EntryKind;
  /** The link's real target; undefined for an entry that is not a link. */
  linkTarget?: string;
}

/**
 * What a directory entry really is, following a symbolic link only when its target stays
 * inside `realRoot`. Links that escape, dangle or loop, and anything that is neither a
 * regular file nor a directory (FIFOs, sockets, devices), come back as null and are ignored.
 */
export async function entryInfo(entry: Dirent, absPath: string, realRoot: string): Promise<EntryInfo | null> {
  if (entry.isFile()) return { kind: 'file' };
  if (entry.isDirectory()) return { kind: 'directory' };
  if (!entry.isSymbolicLink()) return null;
  try {
    const target = await realpath(absPath);
    if (!isWithin(realRoot, target)) return null;
    const st = await stat(target);
    if (st.isFile()) return { kind: 'file', linkTarget: target };
    if (st.isDirectory()) return { kind: 'directory', linkTarget: target };
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

/** `entryInfo` for a path rather than a directory entry (used for watcher events). */
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

/**
 * The error of an open refused because the path is not a regular file inside the root: a FIFO,
 * a device, a socket, a directory, a link that leads out, or a file swapped while it was opened.
 * Its `code` is `EUNSAFE`; readers treat it like a file that is not there.
 */
export class UnsafeFileError extends Error {
  readonly code = 'EUNSAFE';

  constructor(reason: string) {
    super(reason);
    this.name = 'UnsafeFileError';
  }
}

/** An open regular file inside the root: its descriptor (the caller closes it) and the fstat taken on it. */
export interface OpenedFile {
  fd: number;
  stat: Stats;
}

const settle =
  <T>(resolve: (value: T) => void, reject: (err: unknown) => void) =>
  (err: NodeJS.ErrnoException | null, value: T) =>
    err ? reject(err) : resolve(value);
// The callback forms cost less CPU than fs/promises for the many small files of a listing.
const lstatOf = (path: string) => new Promise<Stats>((resolve, reject) => fsLstat(path, settle(resolve, reject)));
const statOf = (path: string) => new Promise<Stats>((resolve, reject) => fsStat(path, settle(resolve, reject)));
const realpathOf = (path: string) => new Promise<string>((resolve, reject) => fsRealpath(path, settle(resolve, reject)));
const openOf = (path: string, flags: number) => new Promise<number>((resolve, reject) => fsOpen(path, flags, settle(resolve, reject)));
const fstatOf = (fd: number) => new Promise<Stats>((resolve, reject) => fsFstat(fd, settle(resolve, reject)));
export const closeFd = (fd: number) => new Promise<void>((resolve) => fsClose(fd, () => resolve()));

// O_NONBLOCK: a FIFO swapped in between the check and the open must not block a libuv worker
// for good (an open of a FIFO waits for a writer). O_NOFOLLOW: the last component is not a link.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** Linux names the file behind a descriptor: the check then holds for the descriptor itself. */
const PROC_FD = existsSync('/proc/self/fd') ? '/proc/self/fd/' : null;

/**
 * Opens `absPath` for reading only when it is a regular file whose real path lies inside
 * `realRoot`, and proves it on the descriptor that will be read: the path is stat'ed before it
 * is opened (a FIFO or a device is never opened), opened non-blocking, and the descriptor's own
 * fstat must be that same regular file. On Linux the descriptor's path (/proc/self/fd) must lie
 * inside the root; elsewhere the real path is resolved again after the open and must still be
 * that file. Throws ENOENT-like errors for absent files and UnsafeFileError for the rest.
 */
export async function openInside(absPath: string, realRoot: string): Promise<OpenedFile> {
  const link = await lstatOf(absPath);
  let path = absPath;
  let before = link;
  if (link.isSymbolicLink()) {
    path = await realpathOf(absPath);
    if (!isWithin(realRoot, path)) throw new UnsafeFileError('a link that leads out of the Codex home');
    before = await statOf(path);
  }
  if (!before.isFile()) throw new UnsafeFileError('not a regular file');
  const fd = await openOf(path, READ_FLAGS | NOFOLLOW);
  try {
    const st = await fstatOf(fd);
    if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) throw new UnsafeFileError('replaced while it was opened');
    if (!isWithin(realRoot, await descriptorPath(fd, path, st))) throw new UnsafeFileError('opened outside the Codex home');
    return { fd, stat: st };
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

/** Where the open file really is: from /proc on Linux, else the path resolved again (and checked to be the same file). */
async function descriptorPath(fd: number, path: string, st: Stats): Promise<string> {
  if (PROC_FD !== null) return readlinkSync(PROC_FD + fd).replace(/ \(deleted\)$/, '');
  const real = await realpathOf(path);
  const now = await statOf(real);
  if (now.ino !== st.ino || now.dev !== st.dev) throw new UnsafeFileError('replaced while it was opened');
  return real;
}

/** True for the errors of openInside that mean "no such session file here" rather than an I/O failure. */
export function isMissingOrUnsafe(err: unknown): boolean {
  return err instanceof UnsafeFileError || isAbsentError(err) || (err as NodeJS.ErrnoException | null)?.code === 'ELOOP';
}
