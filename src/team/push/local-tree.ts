import { readdirSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { FINGERPRINT_BYTES, NAMES_FILE, checkPushPath, fingerprint } from '../ingest/layout.js';

export interface LocalFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The home is not a Codex home (nothing of the layout at all): pushing it would delete everything held. */
export class NotACodexHome extends Error {
  override name = 'NotACodexHome';
}

function entries(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The pushable files of a Codex home (regular files only; links are not followed) with their
 * lengths. Only read: the agent never writes into the home. Synchronous on purpose: the agent has
 * nothing else to do meanwhile, and 100,000 stat calls through promises cost seconds of garbage.
 */
export function scanHome(home: string): Map<string, LocalFile> {
  const found = new Map<string, LocalFile>();
  let anyRoot = false;
  // Joined by hand: the parts are names from readdir under a resolved home, and path.join's
  // normalising was a tenth of a no-change push's CPU at 10,000 files.
  const under = (path: string) => `${home}${sep}${path}`;
  const add = (path: string): void => {
    // Gone meanwhile (undefined): it is not there.
    const info = statSync(under(path), { throwIfNoEntry: false });
    if (info?.isFile()) found.set(path, { path, size: info.size, mtimeMs: info.mtimeMs });
  };
  const walk = (relative: string, depth: number): void => {
    const list = entries(under(relative));
    if (list === null) return;
    if (depth === 0) anyRoot = true;
    for (const entry of list) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory() && depth < 3) walk(path, depth + 1);
      else if (entry.isFile() && checkPushPath(path) === null) add(path);
    }
  };
  walk('sessions', 0);
  walk('archived_sessions', 0);
  const names = entries(home);
  if (names === null) throw new NotACodexHome(`${home} does not exist`);
  if (names.some((e) => e.name === NAMES_FILE && e.isFile())) {
    anyRoot = true;
    add(NAMES_FILE);
  }
  if (!anyRoot) throw new NotACodexHome(`${home} has no sessions/, archived_sessions/ or ${NAMES_FILE}: not a Codex home`);
  return found;
}

async function readFrom(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(home: string, path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(join(home, path), 'r');
  try {
    return await readFrom(handle, position, length);
  } finally {
    await handle.close();
  }
}

/** Whether the local file still starts with what the server holds: same head and tail windows at its length. */
export async function extendsHeld(home: string, path: string, held: { size: number; head: string; tail: string }): Promise<boolean> {
  const headLength = Math.min(FINGERPRINT_BYTES, held.size);
  const tailStart = Math.max(0, held.size - FINGERPRINT_BYTES);
  const handle = await open(join(home, path), 'r');
  try {
    const head = await readFrom(handle, 0, headLength);
    const tail = await readFrom(handle, tailStart, held.size - tailStart);
    if (head.length !== headLength || tail.length !== held.size - tailStart) return false;
    return fingerprint(head) === held.head && fingerprint(tail) === held.tail;
  } finally {
    await handle.close();
  }
}
