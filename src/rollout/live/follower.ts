import { stat } from 'node:fs/promises';
import { fstat } from 'node:fs';
import { promisify } from 'node:util';
import { RolloutError, RolloutErrorKind, scanFailed } from '../errors.js';
import { isAbsentError } from '../files/fs-safety.js';
import type { SessionWalker } from '../sources/source.js';
import { codex, type AnySource } from '../sources/registry.js';
import { heldRecord, readRecord, readUnheld, type RawLine } from '../reading/jsonl-lines.js';
import type { ByteSource } from '../reading/byte-source.js';
import { terminatedRawLines, type OpenRollout, type ReadLimits } from '../reading/session-reader.js';
import { readExactly } from '../reading/byte-source.js';
import type { BytePool } from '../reading/byte-budget.js';
import type { RolloutFile } from '../types.js';

/** What a follower reports, in order. */
export type FollowEvent =
  /** One complete line that is a JSON object: its own JSON text, and the offset just past its newline. */
  | { kind: 'record'; end: number; json: Buffer }
  /** The file was truncated below the follower's offset, or replaced: it starts over from offset 0. */
  | { kind: 'reset'; reason: 'truncated' | 'replaced' }
  /** The session was archived, unarchived (moved to `path`) or removed: the follow ends. */
  | { kind: 'gone'; reason: 'archived' | 'unarchived' | 'removed'; path: string | null };

/** Where a follow starts: the first line, after the last complete line, or a byte offset. */
export type FollowStart =
  | { from: 'start' | 'end' }
  /** `resume`: the offset is a client's last event id, and a stale one means `reset` instead of an error. */
  | { from: 'offset'; offset: number; resume: boolean };

export interface FollowOptions {
  /** The line limit (longer lines are skipped) and the hold bound (longer lines are read again within `lines`). */
  limits: ReadLimits;
  /** The memory budget's pool for long lines: a line over the hold bound is held only with its bytes from here. */
  lines: BytePool;
  /** The file is also checked this often, in case the watcher missed an event. */
  pollMs: number;
  /** Calls `wake` on every raw watch event of the file at `relPath`; returns the unsubscribe function. */
  onEvent(relPath: string, wake: () => void): () => void;
  /** Opens the file (only a regular file inside the home; NotFound or ScanFailed otherwise). */
  open(file: RolloutFile): Promise<OpenRollout>;
  /** The source of the file (default Codex): where an archived file goes. */
  source?: AnySource;
  /** What is at the file's place now (default: the disk, lookOnDisk); a team server looks in its database. */
  look?(file: RolloutFile, opened: OpenRollout): Promise<Look>;
}

/** What a follower finds at its file's place when it looks. */
export type Look =
  | { kind: 'same'; size: number }
  /** Another file took its place; the open one still reads up to `before`. */
  | { kind: 'replaced'; before: number }
  /** Nothing is at its place; the open one still reads up to `before`; `where` says where it went. */
  | { kind: 'gone'; before: number; where(): Promise<FollowEvent> };

const fstatOf = promisify(fstat);

const NEWLINE = 0x0a;
const BACK_CHUNK = 64 * 1024;

/** The offset of the first byte after the last newline before `size` (0 when there is none). */
async function lastLineStart(handle: ByteSource, size: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(BACK_CHUNK);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - BACK_CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const nl = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

/** True when `offset` is 0 or follows a newline. */
async function atLineStart(handle: ByteSource, offset: number): Promise<boolean> {
  if (offset === 0) return true;
  const byte = Buffer.alloc(1);
  const { bytesRead } = await handle.read(byte, 0, 1, offset - 1);
  return bytesRead === 1 && byte[0] === NEWLINE;
}

/**
 * Follows one rollout file like `tail -f`: every complete line that is a JSON object, once, in
 * order; never a line whose newline has not been written yet (a writer that pauses mid-line is
 * waited for). It wakes on the tree watcher's raw events for the file (a directory watch sees
 * every append), with a slow poll as a safety net, and reads only as fast as its consumer
 * takes events. The file stays open: lines written just before it was moved or replaced are
 * still read from it before `gone` or `reset`.
 */
export class FileFollower {
  private woken = false;
  private waiter: (() => void) | null = null;
  private closed = false;
  private iterating = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly file: RolloutFile,
    private readonly walker: SessionWalker,
    private handle: OpenRollout,
    private offset: number,
    private readonly initialReset: FollowEvent | null,
    private readonly options: FollowOptions,
  ) {
    this.unsubscribe = options.onEvent(file.relPath, () => this.wake());
  }

  /**
   * Opens the file and settles the start offset. An explicit offset must be the start of a line
   * within the file (InvalidQuery otherwise); a resumed one that is not means the file changed
   * while the client was away: then the follow begins with `reset`, from offset 0.
   */
  static async open(file: RolloutFile, walker: SessionWalker, start: FollowStart, options: FollowOptions): Promise<FileFollower> {
    const handle = await options.open(file);
    try {
      const st = handle.stat;
      let offset = 0;
      let reset: FollowEvent | null = null;
      if (start.from === 'end') offset = await lastLineStart(handle.source, st.size);
      else if (start.from === 'offset') {
        const valid = start.offset <= st.size && (await atLineStart(handle.source, start.offset));
        if (valid) offset = start.offset;
        else if (start.resume) reset = { kind: 'reset', reason: start.offset > st.size ? 'truncated' : 'replaced' };
        else {
          throw new RolloutError(
            RolloutErrorKind.InvalidQuery,
            start.offset > st.size
              ? `from=${start.offset} is past the end of the session (${st.size} bytes)`
              : `from=${start.offset} is not the start of a line`,
          );
        }
      }
      return new FileFollower(file, walker, handle, offset, reset, options);
    } catch (err) {
      await handle.close();
      throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
    }
  }

  /** The byte offset the follow starts from (after a reset: 0). */
  get startOffset(): number {
    return this.offset;
  }

  /** Something may have changed: look at the file again. */
  wake(): void {
    this.woken = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /**
   * Ends the follow: a waiting `events()` returns (one suspended at a yield must be returned by
   * its consumer), and the file is closed once nothing reads it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.wake();
    if (!this.iterating) await this.handle.close().catch(() => {});
  }

  /** The events from the start offset on, until `gone` or close(). Iterate it once. */
  async *events(): AsyncGenerator<FollowEvent> {
    this.iterating = true;
    try {
      yield* this.follow();
    } finally {
      this.iterating = false;
      this.unsubscribe();
      await this.handle.close().catch(() => {});
    }
  }

  private async *follow(): AsyncGenerator<FollowEvent> {
    if (this.initialReset) yield this.initialReset;
    while (!this.closed) {
      this.woken = false;
      const look = await (this.options.look ?? this.lookOnDisk)(this.file, this.handle);
      if (look.kind !== 'same') {
        yield* this.lines(look.before); // what was written before it went
        if (look.kind === 'gone') {
          yield await look.where();
          return;
        }
        yield* this.reopen('replaced');
        continue;
      }
      if (look.size < this.offset) {
        this.offset = 0;
        yield { kind: 'reset', reason: 'truncated' };
        continue;
      }
      if (look.size > this.offset) yield* this.lines(look.size);
      if (!this.woken && !this.closed) await this.sleep();
    }
  }

  /** The file on disk: the same inode, another one at its path, or nothing there. */
  private readonly lookOnDisk = async (file: RolloutFile, opened: OpenRollout): Promise<Look> => {
    const st = await stat(file.absPath).catch((err: unknown) => {
      if (isAbsentError(err)) return null;
      throw err;
    });
    if (st !== null && st.ino === opened.stat.ino && st.dev === opened.stat.dev) return { kind: 'same', size: st.size };
    const before = opened.fd === null ? opened.stat.size : (await fstatOf(opened.fd)).size;
    return st === null ? { kind: 'gone', before, where: () => this.whereItWent() } : { kind: 'replaced', before };
  };

  /** The complete lines between the offset and `size`; the offset moves past each one. */
  private async *lines(size: number): AsyncGenerator<FollowEvent> {
    if (size <= this.offset) return;
    const { maxLineBytes } = this.options.limits;
    // A last line without its newline is not read: the writer is mid-line; it comes once complete.
    for await (const raw of terminatedRawLines(this.handle.source, this.offset, size, this.options.limits)) {
      if (this.closed) return;
      if (raw.bytes === null) {
        yield* this.unheldLine(raw);
        this.offset = raw.end;
        continue;
      }
      this.offset = raw.end;
      const text = raw.bytes.toString('utf8');
      const parsed = readRecord({ lineNo: raw.lineNo, offset: raw.offset, text, terminated: true }, maxLineBytes);
      if (parsed?.ok) yield { kind: 'record', end: raw.end, json: heldRecord(raw.offset, raw.bytes, text, true).bytes as Buffer };
    }
  }

  /**
   * A line over the hold bound that is a JSON object, read again with its bytes from the long-line
   * pool, held until the consumer has taken it. A full pool past its wait ends the follow with
   * Unavailable before the offset moves: a client that resumes gets the line then.
   */
  private async *unheldLine(raw: RawLine): AsyncGenerator<FollowEvent> {
    const unheld = readUnheld(raw, this.options.limits.maxLineBytes);
    if (!unheld?.ok) return; // not an object, or over the line limit: skipped
    const { ref } = unheld;
    const release = await this.options.lines.acquire(2 * ref.length);
    try {
      const bytes = await readExactly(this.handle.source, ref.offset, ref.length);
      if (bytes === null) return; // truncated meanwhile: the next look sees it
      yield { kind: 'record', end: raw.end, json: ref.utf8 ? bytes : Buffer.from(bytes.toString('utf8'), 'utf8') };
    } finally {
      release();
    }
  }

  private async *reopen(reason: 'replaced'): AsyncGenerator<FollowEvent> {
    const next = await this.options.open(this.file).catch(() => null);
    if (next === null) return; // gone (or no longer a file inside the home): the next look says where
    await this.handle.close().catch(() => {});
    this.handle = next;
    this.offset = 0;
    yield { kind: 'reset', reason };
  }

  /** Archived (the same file name in archived_sessions/), unarchived (back in its day directory) or removed. */
  private async whereItWent(): Promise<FollowEvent> {
    const other = (this.options.source ?? codex).movedPath(this.file);
    const moved = await stat(this.walker.absPath(other)).then((s) => s.isFile(), () => false);
    if (!moved) return { kind: 'gone', reason: 'removed', path: null };
    return { kind: 'gone', reason: this.file.archived ? 'unarchived' : 'archived', path: other };
  }

  /** Until the next watch event, the poll, or close(). */
  private async sleep(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      this.timer = setTimeout(() => this.wake(), this.options.pollMs);
    });
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
