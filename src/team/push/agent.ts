import { basename } from 'node:path';
import type { PushedFile } from '../ingest/file-store.js';
import { MAX_PUSH_BYTES } from '../ingest/limits.js';
import { NAMES_FILE } from '../ingest/layout.js';
import type { PushClient } from './client.js';
import { extendsHeld, readAt, scanHome, type LocalFile } from './local-tree.js';
import type { Progress } from './progress.js';

/** Files sent at once: enough to hide the round trips, few enough to keep memory at a few pieces. */
const CONCURRENCY = 4;

export interface PassResult {
  files: number;
  bytes: number;
  replaced: number;
  moved: number;
  deleted: number;
  /** Files whose offset the server disputed (another agent, a lost answer): looked at again next pass. */
  disputed: number;
}

/**
 * One machine's push: each pass compares the home with what the server holds and sends the
 * difference. The server is the only state (nothing is kept on disk): a pass killed at any
 * point is finished by the next one, which sends only bytes past the server's lengths.
 */
export class PushAgent {
  /** What the server holds, as last seen; refreshed by listing when a pass found it stale. */
  private held: Map<string, PushedFile> | null = null;
  /** Length and mtime of each local file when it was last found to match the server (watch mode skips those). */
  private verified = new Map<string, { size: number; mtimeMs: number }>();

  constructor(
    private readonly home: string,
    private readonly client: PushClient,
    private readonly progress: Progress,
  ) {}

  async pass(): Promise<PassResult> {
    const result: PassResult = { files: 0, bytes: 0, replaced: 0, moved: 0, deleted: 0, disputed: 0 };
    const local = await scanHome(this.home);
    this.held ??= await this.client.held();
    const held = this.held;
    await this.moveAndDelete(local, held, result);
    const work = [...local.values()].filter((file) => {
      const seen = this.verified.get(file.path);
      return seen === undefined || seen.size !== file.size || seen.mtimeMs !== file.mtimeMs || !held.has(file.path);
    });
    this.progress.start(work.length);
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const file = work[next++] as LocalFile;
        await this.sync(file, held, result);
        this.progress.fileDone();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
    this.progress.end(result);
    if (result.disputed > 0) this.held = null;
    return result;
  }

  /** Archive moves first (a held path gone locally whose name reappears elsewhere), then deletions. */
  private async moveAndDelete(local: Map<string, LocalFile>, held: Map<string, PushedFile>, result: PassResult): Promise<void> {
    const gone = [...held.keys()].filter((path) => !local.has(path));
    if (gone.length === 0) return;
    const arrivals = new Map<string, string>();
    for (const path of local.keys()) if (!held.has(path) && path !== NAMES_FILE) arrivals.set(basename(path), path);
    for (const path of gone) {
      const target = path === NAMES_FILE ? undefined : arrivals.get(basename(path));
      const file = held.get(path) as PushedFile;
      held.delete(path);
      this.verified.delete(path);
      if (target !== undefined) {
        await this.client.move(path, target);
        held.set(target, { ...file, path: target });
        arrivals.delete(basename(path));
        result.moved++;
        this.progress.note(`moved ${path} -> ${target}`);
      } else {
        await this.client.remove(path);
        result.deleted++;
        this.progress.note(`deleted ${path} (gone from the home)`);
      }
    }
  }

  private async sync(file: LocalFile, held: Map<string, PushedFile>, result: PassResult): Promise<void> {
    const server = held.get(file.path);
    let from = 0;
    let replace = false;
    if (server !== undefined) {
      if (file.size < server.size || !(await extendsHeld(this.home, file.path, server))) {
        replace = true; // rewritten, not appended: the server's copy is replaced whole
        result.replaced++;
      } else {
        from = server.size;
      }
    }
    const sent = server !== undefined && !replace && from >= file.size ? 0 : await this.send(file, from, replace, held);
    if (sent === null) {
      result.disputed++;
      return;
    }
    if (sent > 0 || replace) result.files++;
    result.bytes += sent;
    this.verified.set(file.path, { size: file.size, mtimeMs: file.mtimeMs });
  }

  /** Bytes from `from` to the length seen at the scan, in pieces; null when the server disputed an offset. */
  private async send(file: LocalFile, from: number, replace: boolean, held: Map<string, PushedFile>): Promise<number | null> {
    let offset = from;
    let first = replace;
    // At least one request: a new empty file is created, a replacement starts with its first piece.
    do {
      const data = await readAt(this.home, file.path, offset, Math.min(MAX_PUSH_BYTES, Math.max(0, file.size - offset)));
      const answer = await this.client.append(file.path, offset, data, first);
      if (!answer.ok) return null;
      held.set(file.path, answer.file);
      first = false;
      offset += data.length;
      this.progress.bytesSent(data.length);
      if (data.length === 0) break; // empty, or shrunk since the scan: the next pass looks again
    } while (offset < file.size);
    return offset - from;
  }
}
