import type { Stats } from 'node:fs';
import { sameFile, stampOf, statOrNull, type FileStamp } from '../files/file-stamp.js';
import type { RecordText } from '../reading/jsonl-lines.js';
import type { ReadEnv } from '../reading/session-reader.js';
import { codex, type AnySource } from '../sources/registry.js';
import type { ListingRead, SessionRead } from '../sources/source.js';
import { WeightedLru } from '../lru.js';
import type { RolloutFile, RolloutLogger, SessionSummary } from '../types.js';

export interface ListingCacheOptions {
  /** Bytes of records (plus a per-entry allowance) the cache may hold. 0 turns it off. */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_LISTING_CACHE: ListingCacheOptions = { maxBytes: 32 * 1024 * 1024, maxEntries: 20_000 };

interface Entry {
  /** The file as it was read: a fresh stat must say the same for the entry to stand. */
  stamp: FileStamp;
  /** Null: the file is not a session. */
  summary: SessionSummary | null;
  hasUserMessage: boolean;
  head: RecordText[];
  /** The head was read for this many records; fewer came back only when the file has no more. */
  headCount: number;
  tail: RecordText[];
  tailCount: number;
  /** The debug lines the read logged (skipped lines, not a session), replayed on every hit. */
  logs: { obj: object; msg: string | undefined }[];
}

/** Per-entry allowance for the summary, the arrays and the map slot; per-record allowance for its range. */
const ENTRY_OVERHEAD = 1024;
const RECORD_OVERHEAD = 64;

/**
 * A bounded LRU of listing reads (summary, head and tail records as bytes), keyed by path and
 * checked against a fresh stat of the file on every use: a file whose device, inode, size,
 * mtime or ctime changed (a write, a rename over it, a chmod) is read again. A hit costs one
 * stat instead of open + fstat + reads + close and a parse of the head, and answers exactly
 * what the read would: same summary, same records, same debug log lines.
 */
export class ListingCache {
  private readonly entries: WeightedLru<string, Entry>;

  constructor(
    private readonly options: ListingCacheOptions = DEFAULT_LISTING_CACHE,
    private readonly source: AnySource = codex,
  ) {
    this.entries = new WeightedLru({ maxWeight: options.maxBytes, maxEntries: options.maxEntries });
  }

  /**
   * readSessionFile, served from the cache when the file has not changed since it was read.
   * `statOf`: the file's stat now (default: of its path on disk; a pushed file's comes from its
   * row in the database: team-files.ts PushedOpens).
   */
  async read(
    file: RolloutFile,
    headCount: number,
    tailCount: number,
    env: ReadEnv,
    log: RolloutLogger,
    statOf: (file: RolloutFile) => Promise<Stats | null> = (f) => statOrNull(f.absPath),
  ): Promise<ListingRead> {
    if (this.options.maxBytes <= 0) return this.source.readListing(file, headCount, tailCount, env, log);
    const cached = this.entries.peek(file.absPath);
    if (cached !== undefined) {
      const st = await statOf(file);
      if (st !== null && sameFile(cached.stamp, stampOf(st)) && this.entries.peek(file.absPath) === cached) {
        const hit = answer(cached, st, headCount, tailCount);
        if (hit !== undefined) {
          this.entries.get(file.absPath);
          for (const { obj, msg } of cached.logs) log.debug(obj, msg);
          return hit;
        }
      }
    }
    const logs: Entry['logs'] = [];
    const recording: RolloutLogger = {
      debug(obj, msg) {
        logs.push({ obj, msg });
        log.debug(obj, msg);
      },
      warn: (obj, msg) => log.warn(obj, msg),
    };
    const result = await this.source.readListing(file, headCount, tailCount, env, recording);
    if (result !== null) this.store(file.absPath, result.stat, result.read, headCount, tailCount, logs);
    return result;
  }

  /**
   * The stamp of the file at `absPath` as its kept read saw it, when that read answers these
   * counts (no use: the order is unchanged); undefined when a read would be needed whatever the file.
   */
  stampHeld(absPath: string, headCount: number, tailCount: number): FileStamp | undefined {
    if (this.options.maxBytes <= 0) return undefined;
    const entry = this.entries.peek(absPath);
    return entry !== undefined && answerable(entry, headCount, tailCount) ? entry.stamp : undefined;
  }

  /** Bytes the cache holds now (records plus the per-entry allowances). */
  get heldBytes(): number {
    return this.entries.weight;
  }

  /**
   * The summary last read of the file at `absPath`, whatever the file is like now (it may be
   * gone): undefined when the cache holds no read of it, null when it was not a session.
   */
  lastSummary(absPath: string): SessionSummary | null | undefined {
    const entry = this.entries.peek(absPath);
    return entry === undefined ? undefined : entry.summary && { ...entry.summary };
  }

  private store(path: string, st: Stats, read: SessionRead | null, headCount: number, tailCount: number, logs: Entry['logs']): void {
    const head = read?.head ?? [];
    const tail = read?.tail ?? [];
    const packed = pack([...head, ...tail]);
    const logBytes = logs.length * 256;
    const entry: Entry = {
      stamp: stampOf(st),
      summary: read?.summary ?? null,
      hasUserMessage: read?.hasUserMessage ?? false,
      head: packed.slice(0, head.length),
      headCount,
      tail: packed.slice(head.length),
      tailCount,
      logs,
    };
    const bytes = ENTRY_OVERHEAD + logBytes + packed.reduce((n, r) => n + (r.bytes?.length ?? 0) + RECORD_OVERHEAD, 0);
    this.entries.set(path, entry, bytes);
  }
}


/** Whether the entry holds enough records for these counts (a file that is not a session always does). */
function answerable(entry: Entry, headCount: number, tailCount: number): boolean {
  if (entry.summary === null) return true;
  const headComplete = entry.head.length < entry.headCount; // the read ran out of records
  const tailComplete = entry.tail.length < entry.tailCount;
  return (headCount <= entry.head.length || headComplete) && (tailCount <= entry.tail.length || tailComplete);
}

/** The cached read for these counts, or undefined when the entry holds too few records. */
function answer(entry: Entry, st: Stats, headCount: number, tailCount: number): { stat: Stats; read: SessionRead | null } | undefined {
  if (entry.summary === null) return { stat: st, read: null };
  if (!answerable(entry, headCount, tailCount)) return undefined;
  const tail = tailCount === 0 ? [] : entry.tail.slice(Math.max(0, entry.tail.length - tailCount));
  return {
    stat: st,
    read: { summary: { ...entry.summary }, hasUserMessage: entry.hasUserMessage, head: entry.head.slice(0, headCount), tail, stat: st },
  };
}

/**
 * The records with copies of their held bytes in one allocation of their own, so that a cached
 * record never pins a slab of Node's shared buffer pool and the cache's byte count is what it
 * really holds. Records left in their file stay ranges.
 */
function pack(records: RecordText[]): RecordText[] {
  const total = records.reduce((n, r) => n + (r.bytes?.length ?? 0), 0);
  const store = Buffer.allocUnsafeSlow(total);
  let at = 0;
  return records.map((r) => {
    if (r.bytes === undefined) return { ...r };
    r.bytes.copy(store, at);
    const view = store.subarray(at, at + r.bytes.length);
    at += r.bytes.length;
    return { ...r, bytes: view };
  });
}
