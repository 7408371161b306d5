import { stat } from 'node:fs/promises';
import { sameFile, stampOf } from '../files/file-stamp.js';
import { openRollout, type ReadEnv } from '../reading/session-reader.js';
import { codex } from '../sources/registry.js';
import type { RolloutFile, RolloutLogger } from '../types.js';
import { indexContent } from './content-pass.js';
import { initialContentState } from './content-state.js';
import { fingerprint, isCurrent, onlyAppended } from './identity.js';
import type { ContentPosition, StoredFile } from './store.js';
import type { WriteBatch } from './write-batch.js';

export interface FileUpdateContext {
  /** What a read needs (background reads wait for the memory budget as long as it takes). */
  env: () => Promise<ReadEnv>;
  log: RolloutLogger;
  /** False once the index stopped or replaced its store meanwhile: what was read is dropped. */
  current: () => boolean;
}

/**
 * Brings one file's record (`row`, as the store holds it) up to date in `batch`: its summary
 * (read again only when it may have changed) and its content (read from where the last pass
 * stopped when the file was only appended to, from the start otherwise). A file gone, or no
 * longer readable, loses its row.
 */
export async function updateFile(row: StoredFile | undefined, batch: WriteBatch, file: RolloutFile, ctx: FileUpdateContext): Promise<void> {
  const st = await stat(file.absPath).catch(() => null);
  if (st === null) {
    batch.add({ kind: 'delete', relPath: file.relPath });
    return;
  }
  const stamp = stampOf(st);
  if (row && isCurrent(row, stamp)) return;
  // Rollouts are append-only, but editors and `cat > f` rewrite in place (same inode): what was
  // indexed is kept only when the bytes before its end are unchanged (identity.ts).
  const grew = row !== undefined && (await onlyAppended(row, stamp, (end) => printOf(file, ctx, end)));
  let from: ContentPosition | null = grew ? row.content : null;
  if (!(grew && row.hasUserMessage)) {
    // The summary may have changed (a new file, one rewritten, or one without a title yet).
    const result = await codex.readListing(file, 0, 0, await ctx.env(), ctx.log);
    if (!ctx.current()) return;
    if (result === null) {
      batch.add({ kind: 'delete', relPath: file.relPath });
      return;
    }
    const { read } = result;
    const session = read && { summary: read.summary, hasUserMessage: read.hasUserMessage };
    const readStamp = stampOf(result.stat);
    const fresh = from === null || !sameFile(readStamp, stamp) || session === null;
    const start = { offset: 0, lineNo: 1, state: initialContentState() };
    if (fresh) from = start;
    batch.add({ kind: 'entry', entry: { file, stamp: readStamp, session }, resetContent: fresh ? start : null });
    if (session === null || !sameFile(readStamp, stamp)) return; // not a session, or changed meanwhile
  } else {
    batch.add({ kind: 'grew', relPath: file.relPath, stamp });
  }
  if (from !== null) await indexContent(batch, file, from, stamp, await ctx.env());
}

/** The fingerprint of the file's first `end` bytes as it is now; null when it cannot be read. */
async function printOf(file: RolloutFile, ctx: FileUpdateContext, end: number): Promise<string | null> {
  const opened = await openRollout(file, (await ctx.env()).realRoot).catch(() => null);
  if (opened === null) return null;
  try {
    return await fingerprint(opened.source, end);
  } finally {
    await opened.close();
  }
}
