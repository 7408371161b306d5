import { stat } from 'node:fs/promises';
import { onlyGrew, sameFile, stampOf } from '../files/file-stamp.js';
import { readSessionFile, type ReadEnv } from '../reading/session-reader.js';
import type { RolloutFile, RolloutLogger } from '../types.js';
import { indexContent } from './content-pass.js';
import { initialContentState } from './content-state.js';
import type { IndexDb } from './sqlite-store.js';
import type { WriteBatch } from './write-batch.js';

export interface FileUpdateContext {
  /** What a read needs (background reads wait for the memory budget as long as it takes). */
  env: () => Promise<ReadEnv>;
  log: RolloutLogger;
  /** False once the index stopped or replaced `db` meanwhile: what was read is dropped. */
  current: () => boolean;
}

/**
 * Brings one file's record up to date in `batch`: its summary (read again only when it may
 * have changed) and its content (read from where the last pass stopped when the file only
 * grew, from the start otherwise). A file gone, or no longer readable, loses its row.
 */
export async function updateFile(db: IndexDb, batch: WriteBatch, file: RolloutFile, ctx: FileUpdateContext): Promise<void> {
  const row = db.get(file.relPath);
  const st = await stat(file.absPath).catch(() => null);
  if (st === null) {
    batch.add(() => db.delete(file.relPath));
    return;
  }
  const stamp = stampOf(st);
  if (row && sameFile(row.stamp, stamp) && (!row.isSession || row.contentSize === stamp.size)) return;
  // Rollouts are append-only: a file that only grew keeps what was indexed of it.
  const kept = row?.content ?? null;
  const grew = row !== undefined && kept !== null && (sameFile(row.stamp, stamp) || onlyGrew(row.stamp, stamp));
  const fid = row?.fid ?? db.allocateFid();
  let from = grew ? kept : null;
  if (!(grew && row?.hasUserMessage)) {
    // The summary may have changed (a new file, one replaced, or one without a title yet).
    const result = await readSessionFile(file, 0, 0, await ctx.env(), ctx.log);
    if (!ctx.current()) return;
    if (result === null) {
      batch.add(() => db.delete(file.relPath));
      return;
    }
    const { read } = result;
    const session = read && { summary: read.summary, hasUserMessage: read.hasUserMessage };
    const readStamp = stampOf(result.stat);
    const fresh = from === null || !sameFile(readStamp, stamp) || session === null;
    const start = { offset: 0, lineNo: 1, state: initialContentState() };
    if (fresh) from = start;
    batch.add(() => {
      db.upsert({ file, stamp: readStamp, session }, fid);
      if (fresh) db.clearContent(file.relPath, fid, start);
    });
    if (session === null || !sameFile(readStamp, stamp)) return; // not a session, or changed meanwhile
  } else {
    batch.add(() => db.touch(file.relPath, stamp));
  }
  if (from !== null) await indexContent(db, batch, file, fid, from, stamp, await ctx.env());
}
