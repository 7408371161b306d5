import { stat } from 'node:fs/promises';
import { sameFile, stampOf, type FileStamp } from '../files/file-stamp.js';
import type { ReadEnv } from '../reading/session-reader.js';
import { codex, type AnySource } from '../sources/registry.js';
import { withSeenKeys, type CounterState } from '../sources/codex/usage-counter.js';
import { initialClaudeCounterState, restoreClaudeCounterState, withClaudeSeenKeys } from '../sources/claude/usage-counter.js';
import type { AgentName } from '../sources/source.js';
import { SIDECHAIN_MARK } from './sqlite/usage.js';
import type { RolloutFile, RolloutLogger } from '../types.js';
import { indexContent, type OpenedBytes } from './content-pass.js';
import { initialContentState } from './content-state.js';
import { fingerprint, isCurrent, onlyAppended } from './identity.js';
import { openedOnce, type OpenedOnce } from './opened-once.js';
import type { ContentPosition, IndexEntry, StoredFile } from './store.js';
import type { WriteBatch } from './write-batch.js';

export interface FileUpdateContext {
  /** What a read needs (background reads wait for the memory budget as long as it takes). */
  env: () => Promise<ReadEnv>;
  log: RolloutLogger;
  /** False once the index stopped or replaced its store meanwhile: what was read is dropped. */
  current: () => boolean;
  /** Where the file's bytes are: the local file (localAccess) unless given (a pushed file in the team database). */
  access?: FileAccess;
  /** The store's keys of the file's shared responses (IndexStore.responseKeys): counting goes on after an append with them. */
  responseKeys: (relPath: string) => Promise<string[]>;
  /** The source of the file (default Codex): its head reader, and its key once the head is read. */
  source?: AnySource;
}

/** How an update reaches one file: its stamp now, a head read (its summary), and its bytes. */
export interface FileAccess {
  /** The file's stamp now; null when it is gone. */
  stamp(): Promise<FileStamp | null>;
  /** What a head read found, with the stamp it was based on; null when the file cannot be read. */
  head(): Promise<{ stamp: FileStamp; session: IndexEntry['session'] } | null>;
  open(): Promise<OpenedBytes>;
  /** Ends the update's reads (a local file: its one descriptor). */
  close?(): Promise<void>;
}

/** A file of the local home, opened once for all of one update's reads (opened-once.ts). */
export function localAccess(file: RolloutFile, ctx: FileUpdateContext): FileAccess {
  let once: OpenedOnce | null = null;
  const opened = async () => (once ??= openedOnce(file, await ctx.env()));
  return {
    stamp: async () => {
      const st = await stat(file.absPath).catch(() => null);
      return st === null ? null : stampOf(st);
    },
    head: async () => {
      const env = await ctx.env();
      const { open } = await opened();
      const result = await (ctx.source ?? codex).readListing(file, 0, 0, { ...env, open: () => open() }, ctx.log);
      if (result === null) return null;
      const { read } = result;
      return { stamp: stampOf(result.stat), session: read && { summary: read.summary, hasUserMessage: read.hasUserMessage } };
    },
    open: async () => (await opened()).open(),
    close: async () => once?.close(),
  };
}

/**
 * Brings one file's record (`row`, as the store holds it) up to date in `batch`: its summary
 * (read again only when it may have changed) and its content (read from where the last pass
 * stopped when the file was only appended to, from the start otherwise). A file gone, or no
 * longer readable, loses its row.
 */
export async function updateFile(row: StoredFile | undefined, batch: WriteBatch, file: RolloutFile, ctx: FileUpdateContext): Promise<void> {
  const access = ctx.access ?? localAccess(file, ctx);
  try {
    await update(row, batch, file, ctx, access);
  } finally {
    await access.close?.();
  }
}

async function update(
  row: StoredFile | undefined,
  batch: WriteBatch,
  file: RolloutFile,
  ctx: FileUpdateContext,
  access: FileAccess,
): Promise<void> {
  const stamp = await access.stamp();
  if (stamp === null) {
    batch.add({ kind: 'delete', relPath: file.relPath });
    return;
  }
  if (row && isCurrent(row, stamp)) return;
  // Rollouts are append-only, but editors and `cat > f` rewrite in place (same inode): what was
  // indexed is kept only when the bytes before its end are unchanged (identity.ts).
  const grew = row !== undefined && (await onlyAppended(row, stamp, (end) => printOf(access, end)));
  const agent = ctx.source?.agent ?? 'codex';
  let from: ContentPosition | null = grew ? await resumed(row.content, () => ctx.responseKeys(file.relPath), agent) : null;
  if (!(grew && row.hasUserMessage && !(ctx.source ?? codex).namedLater)) {
    // The summary may have changed (a new file, one rewritten, one without a title yet, or a name appended).
    const result = await access.head();
    if (!ctx.current()) return;
    if (result === null) {
      batch.add({ kind: 'delete', relPath: file.relPath });
      return;
    }
    const { session, stamp: readStamp } = result;
    const fresh = from === null || !sameFile(readStamp, stamp) || session === null;
    const start = { offset: 0, lineNo: 1, state: initialContentState() };
    if (fresh) from = start;
    // A key only a head read knows (Claude's first timestamp) is stored with the row: the index orders by it.
    const keyed = session === null ? file : (ctx.source ?? codex).keyOf(file, session.summary);
    batch.add({ kind: 'entry', entry: { file: keyed, stamp: readStamp, session }, resetContent: fresh ? start : null });
    if (session === null || !sameFile(readStamp, stamp)) return; // not a session, or changed meanwhile
  } else {
    batch.add({ kind: 'grew', relPath: file.relPath, stamp });
  }
  if (from !== null) await indexContent(batch, file, from, stamp, await ctx.env(), () => access.open(), ctx.source?.agent);
}

/** Where the content goes on from `at`: the stored state with the responses the store holds counted as seen. */
async function resumed(at: ContentPosition | null, keys: () => Promise<string[]>, agent: AgentName): Promise<ContentPosition | null> {
  if (at === null || at.offset === 0) return at;
  if (agent === 'claude') {
    // The store marks a sidechain copy's key (SIDECHAIN_MARK): the Claude counter's seen keys name the chain.
    const seen = (await keys()).map((k) => {
      const sidechain = k.endsWith(SIDECHAIN_MARK);
      return { responseKey: sidechain ? k.slice(0, -SIDECHAIN_MARK.length) : k, sidechain };
    });
    const state = restoreClaudeCounterState(at.state.usage) ?? initialClaudeCounterState();
    return { ...at, state: { ...at.state, usage: withClaudeSeenKeys(state, seen) } };
  }
  return { ...at, state: { ...at.state, usage: withSeenKeys(at.state.usage as CounterState, await keys()) } };
}

/** The fingerprint of the file's first `end` bytes as it is now; null when it cannot be read. */
async function printOf(access: FileAccess, end: number): Promise<string | null> {
  const opened = await access.open().catch(() => null);
  if (opened === null) return null;
  try {
    return await fingerprint(opened.source, end);
  } finally {
    await opened.close();
  }
}
