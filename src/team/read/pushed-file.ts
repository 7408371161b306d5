import type { FileStamp } from '../../rollout/files/file-stamp.js';
import type { FileAccess } from '../../rollout/index/file-update.js';
import type { ReadEnv } from '../../rollout/reading/session-reader.js';
import { scanHead } from '../../rollout/sources/codex/session-file.js';
import { codex } from '../../rollout/sources/registry.js';
import type { RolloutFile, RolloutLogger } from '../../rollout/types.js';
import type { ChunkSource } from './chunk-source.js';
import { pushedHome } from './home.js';

/** A pushed file as cs_files holds it. */
export interface HeldFile {
  id: string;
  machine: string;
  path: string;
  size: number;
  mtimeMs: number | null;
  generation: number;
}

/**
 * The stamp of a pushed file, in the fields the staleness rule compares (file-stamp.ts): its
 * number in cs_files for the inode, its generation (bumped by a replacement) for the device, the
 * length held, and the pusher's mtime. An append changes the size only; a replacement the
 * device, so that what was indexed is dropped; a move keeps all of it.
 */
export function stampOfHeld(f: HeldFile): FileStamp {
  return { dev: f.generation, ino: Number(f.id), size: f.size, mtimeMs: f.mtimeMs ?? 0, ctimeMs: 0 };
}

/** The rollout file at a pushed path, or null when the path is not one (session_index.jsonl). */
export function pushedFile(machine: string, path: string): RolloutFile | null {
  // The walker is only asked to parse the path: a pushed file is never opened on this machine.
  return codex.walker(pushedHome(machine)).fileAt(path);
}

/**
 * How the index upkeep (file-update.ts) reaches a pushed file: its stamp as the catch-up's query
 * found it (`held`), its bytes from `source` (that generation's bytes up to that length, in
 * cs_chunks). The head read and the content pass share the source, so the first slice is fetched
 * once (or primed for many files in one query: chunk-source.ts firstSlices). A file replaced or
 * deleted meanwhile reads nothing (not a session; a later catch-up sees the new generation or the
 * deletion); a file appended to meanwhile is read to the length held, as a local read stops at its stat.
 */
export function pushedAccess(
  held: HeldFile,
  file: RolloutFile,
  source: ChunkSource,
  env: () => Promise<ReadEnv>,
  log: RolloutLogger,
): FileAccess {
  const stamp = stampOfHeld(held);
  return {
    stamp: async () => stamp,
    head: async () => {
      const head = await scanHead(source, file, stamp, 0, await env(), log);
      return { stamp, session: head && { summary: head.summary, hasUserMessage: head.hasUserMessage } };
    },
    open: async () => ({ stat: stamp, source, close: async () => {} }),
  };
}
