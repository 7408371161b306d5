import type pg from 'pg';
import type { FileStamp } from '../../rollout/files/file-stamp.js';
import type { FileAccess } from '../../rollout/index/file-update.js';
import type { ReadEnv } from '../../rollout/reading/session-reader.js';
import { scanHead } from '../../rollout/sources/codex/session-file.js';
import { codex } from '../../rollout/sources/registry.js';
import type { RolloutFile, RolloutLogger } from '../../rollout/types.js';
import { ChunkSource } from './chunk-source.js';
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

const HELD_COLUMNS = 'id::text AS id, machine, path, size::float8 AS size, mtime_ms::float8 AS "mtimeMs", generation';

async function heldNow(db: pg.Pool, f: HeldFile): Promise<HeldFile | null> {
  const { rows } = await db.query<HeldFile>({
    name: 'cs-held-file',
    text: `SELECT ${HELD_COLUMNS} FROM cs_files WHERE id = $1`,
    values: [f.id],
  });
  const now = rows[0];
  // Moved meanwhile: gone from this path (the move is taken at its new path).
  return now === undefined || now.machine !== f.machine || now.path !== f.path ? null : now;
}

/** How the index upkeep (file-update.ts) reaches a pushed file: cs_files for its stamp, cs_chunks for its bytes. */
export function pushedAccess(db: pg.Pool, held: HeldFile, file: RolloutFile, env: () => Promise<ReadEnv>, log: RolloutLogger): FileAccess {
  const open = async () => {
    const now = await heldNow(db, held);
    if (now === null) throw new Error(`${held.path} is no longer held`);
    return { now, source: new ChunkSource(db, now.id, now.size) };
  };
  return {
    stamp: async () => {
      const now = await heldNow(db, held);
      return now === null ? null : stampOfHeld(now);
    },
    head: async () => {
      const opened = await open().catch(() => null);
      if (opened === null) return null;
      const { now, source } = opened;
      const stamp = stampOfHeld(now);
      const head = await scanHead(source, file, stamp, 0, await env(), log);
      return { stamp, session: head && { summary: head.summary, hasUserMessage: head.hasUserMessage } };
    },
    open: async () => {
      const { now, source } = await open();
      return { stat: stampOfHeld(now), source, close: async () => {} };
    },
  };
}


