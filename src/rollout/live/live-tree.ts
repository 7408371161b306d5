import type { SessionWalker } from '../sources/source.js';
import type { AnySource } from '../sources/registry.js';
import type { TreeWatch } from './tree-watcher.js';
import { ChangeFeed, wants, type ChangeFeedDeps, type FeedSubscription } from './change-feed.js';
import type { EventLogOptions, FeedEvent } from './event-log.js';
import { FileFollower, type FollowOptions, type FollowStart } from './follower.js';
import { WatchHub } from './watch-hub.js';
import type { RolloutFile, RolloutLogger } from '../types.js';

export interface LiveTreeOptions {
  walker: SessionWalker;
  /** The source the walker is of (default Codex). */
  source?: AnySource | undefined;
  log: RolloutLogger;
  /** What the change feed reads summaries and names with. */
  feed: Omit<ChangeFeedDeps, 'fileAt' | 'log'>;
  /** The change log that /events replays from (default: the last 10,000 changes). */
  eventLog?: EventLogOptions | undefined;
  /** How a follower reads: its line limit, its poll and how it opens the file. */
  follow: Omit<FollowOptions, 'onEvent'>;
}

/**
 * The live side of the repository: one watcher of the tree (WatchHub) feeds the index, the
 * change feed behind GET /events, the followers of single sessions, and the freshness token of
 * HTTP caching.
 */
export class LiveTree {
  private readonly hub: WatchHub;
  private readonly feed: ChangeFeed;

  constructor(private readonly options: LiveTreeOptions) {
    const { walker, log, source } = options;
    const feedDeps = { ...options.feed, fileAt: (relPath: string) => walker.fileAt(relPath), log, ...(source ? { source } : {}) };
    this.feed = new ChangeFeed(feedDeps, options.eventLog);
    this.hub = new WatchHub(walker, log, () => this.feed.prime(), source);
    // The feed reads the changed files for their summaries: on its own chain, so that index
    // queries (which wait for the watcher's reports to be taken in) do not wait for it too.
    let feeding = Promise.resolve();
    this.hub.listen((changes) => {
      feeding = feeding.then(() => this.feed.take(changes)).catch((err) => log.warn({ err }, 'the change feed failed'));
    });
  }

  /** The watch an index starts and listens to. */
  get watch(): TreeWatch {
    return this.hub;
  }

  /** See WatchHub.touchedFiles. */
  touchedFiles(): string[] | null {
    return this.hub.touchedFiles();
  }

  /** Tells caches that what the index answers has changed. */
  indexChanged(): void {
    this.hub.bumpIndex();
  }

  /** See RolloutRepository.freshness. */
  version(withIndex: boolean): string | null {
    return this.hub.version(withIndex);
  }

  /** Starts watching the tree if nothing has yet (no index). Resolves once it is watched. */
  watchTree(): Promise<void> {
    return this.hub.start();
  }

  /**
   * Delivers every change of the tree that `sub` wants (call watchTree() first, so that the
   * changes from now on are all seen) to `deliver`, after those since `lastId` (or a `reset`,
   * see EventLog.subscribe). Returns the unsubscribe function.
   */
  subscribe(sub: FeedSubscription, lastId: number | null, deliver: (event: FeedEvent) => void): () => void {
    return this.feed.log.subscribe(lastId, (event) => {
      if (wants(sub, event)) deliver(event);
    });
  }

  /** The id of the newest change (what a new /events subscriber has seen). */
  lastChangeId(): number {
    return this.feed.log.lastId;
  }

  /** Follows one session's file like tail -f (see FileFollower). The caller closes it. */
  async follow(file: RolloutFile, start: FollowStart): Promise<FileFollower> {
    await this.watchTree();
    return FileFollower.open(file, this.options.walker, start, {
      ...this.options.follow,
      ...(this.options.source ? { source: this.options.source } : {}),
      onEvent: (relPath, wake) => this.hub.onPath(relPath, wake),
    });
  }

  close(): Promise<void> {
    return this.hub.close();
  }
}
