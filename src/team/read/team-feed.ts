import { posix } from 'node:path';
import type pg from 'pg';
import type { FeedSubscription } from '../../rollout/live/change-feed.js';
import { wants } from '../../rollout/live/change-feed.js';
import type { ChangeKind, FeedEvent } from '../../rollout/live/event-log.js';
import { WeightedLru } from '../../rollout/lru.js';
import { SESSION_INDEX_FILE } from '../../rollout/sources/codex/session-names.js';
import { FILES_AT_ONCE } from '../../rollout/tuning.js';
import type { RolloutLogger, SessionSummary } from '../../rollout/types.js';
import { changesSince, type ReplayRow } from './team-replay.js';

/** What the trigger of migrations 3 and 5 sends for every committed change of cs_files. */
interface Notice {
  op: 'insert' | 'update' | 'delete';
  machine: string;
  path: string;
  moved?: boolean;
  wasEmpty?: boolean;
  seq: number;
}

export interface TeamSubscription extends FeedSubscription {
  /** Machines wanted; undefined for every machine. */
  machines?: readonly string[] | undefined;
}

export interface TeamFeedDeps {
  /** A pushed file's summary as held now, with its machine and name; null when it is not a session (yet) or not held. */
  summaryOf(machine: string, path: string): Promise<SessionSummary | null>;
  /** What a session's path says of it (one removed before this instance read it), with machine and name; null for another path. */
  pathSummary(machine: string, path: string): Promise<SessionSummary | null>;
  /** Every machine that pushed something. */
  machines(): Promise<string[]>;
  /** A machine's user-set names, from its pushed session_index.jsonl. */
  names(machine: string): Promise<ReadonlyMap<string, string>>;
  /** The paths of a machine's files that claim a session id. */
  pathsOf(machine: string, id: string): Promise<string[]>;
  /** Changed files replayed at most to a reconnecting client (`live.replayMax`); more mean `reset`. */
  replayMax: number;
  log: RolloutLogger;
}

interface Subscriber {
  sub: TeamSubscription;
  deliver: (event: FeedEvent) => void;
  /** Live events that came while the subscriber's replay was read: delivered after it. */
  held: FeedEvent[] | null;
}

/** How long a lost listening connection waits before it connects again. */
const RECONNECT_MS = 1000;
/** The summaries last read, for `removed` events (the bytes are gone with the file). */
const LAST_SUMMARIES = { maxEntries: 10_000, maxWeight: 16 * 1024 * 1024 };

/** More renames than this in one change of a names file are announced as one `reset`, as over one home. */
const MAX_RENAMES = 100;

const keyOf = (machine: string, path: string) => `${machine}\0${path}`;

function weightOf(summary: SessionSummary | null): number {
  let bytes = 256;
  if (summary !== null) for (const value of Object.values(summary)) if (typeof value === 'string') bytes += value.length * 2;
  return bytes;
}

function passes(sub: TeamSubscription, event: FeedEvent): boolean {
  const machine = event.session?.machine;
  if (machine !== undefined && sub.machines !== undefined && !sub.machines.includes(machine)) return false;
  return wants(sub, event);
}

/**
 * Live events in team mode: every instance LISTENs on `cs_changes`, which the trigger on cs_files
 * notifies at each commit (an ingest on any instance), and turns each notice into the event the
 * single-machine feed sends, the session read from the database as it is then. Event ids are
 * cs_change_seq numbers, the same on every instance. A reconnecting client is replayed what
 * changed since its Last-Event-ID from the database (team-replay.ts). Followers of one session
 * (team-follow.ts) are woken by the notices of their file.
 */
export class TeamFeed {
  private readonly subscribers = new Set<Subscriber>();
  /** Followers' wake-ups by machine and file name (an archive move keeps the name, not the path). */
  private readonly followers = new Map<string, Set<() => void>>();
  private readonly last = new WeightedLru<string, SessionSummary | null>(LAST_SUMMARIES);
  /** Each machine's names as last seen, to tell which a change of its names file renamed. */
  private readonly names = new Map<string, ReadonlyMap<string, string>>();
  private client: pg.PoolClient | null = null;
  private starting: Promise<void> | null = null;
  private closed = false;
  /** Notices are turned into events one after another, so that events keep the order of commits. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly deps: TeamFeedDeps,
  ) {}

  /** Listens from now on; resolves once LISTEN is in place (a change committed after it is seen). */
  start(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.starting ??= this.listen().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    if (this.closed) return client.release();
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== 'cs_changes' || message.payload === undefined) return;
      const notice = JSON.parse(message.payload) as Notice;
      this.wakeFollowers(notice);
      const failed = (err: unknown) => this.deps.log.warn({ err }, 'a change event failed');
      this.queue = this.queue.then(() => this.announce(notice)).catch(failed);
    });
    client.on('error', (err) => {
      this.deps.log.warn({ err }, 'the change listener lost its connection; listening again');
      client.release(err);
      this.client = null;
      this.starting = null;
      // Changes meanwhile are not seen: every subscriber reloads, every follower looks.
      this.broadcast({ id: 0, change: 'reset', reason: 'overflow' });
      for (const wakes of this.followers.values()) for (const wake of wakes) wake();
      if (!this.closed) setTimeout(() => void this.start().catch(() => {}), RECONNECT_MS).unref();
    });
    await client.query('LISTEN cs_changes');
    // The names as they are, so that the next change of a names file can be compared with them.
    try {
      for (const machine of await this.deps.machines()) {
        if (!this.names.has(machine)) this.names.set(machine, await this.deps.names(machine));
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'cannot read the pushed session names; live renames are not reported');
    }
  }

  /** The newest change number (what a new subscriber has seen). */
  async lastChangeId(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT last_value::text AS n FROM cs_change_seq');
    return Number(rows[0]!.n);
  }

  /** Calls `wake` on every change of the file of `machine` at `relPath`, or at the same name elsewhere (moved). */
  onFile(machine: string, relPath: string, wake: () => void): () => void {
    const key = keyOf(machine, posix.basename(relPath));
    let wakes = this.followers.get(key);
    if (wakes === undefined) this.followers.set(key, (wakes = new Set()));
    const mine = () => wake(); // one entry per follower, even for the same function
    wakes.add(mine);
    return () => {
      wakes.delete(mine);
      if (wakes.size === 0 && this.followers.get(key) === wakes) this.followers.delete(key);
    };
  }

  private wakeFollowers(notice: Notice): void {
    const wakes = this.followers.get(keyOf(notice.machine, posix.basename(notice.path)));
    if (wakes !== undefined) for (const wake of [...wakes]) wake();
  }

  /**
   * Delivers every change `sub` wants from now on; with `lastId`, first what changed since it
   * (replay), or a `reset` when that cannot be told (team-replay.ts). Returns the unsubscribe function.
   */
  async subscribe(sub: TeamSubscription, lastId: number | null, deliver: (event: FeedEvent) => void): Promise<() => void> {
    await this.start();
    const subscriber: Subscriber = { sub, deliver, held: lastId === null ? null : [] };
    this.subscribers.add(subscriber);
    const unsubscribe = () => void this.subscribers.delete(subscriber);
    if (lastId === null) return unsubscribe;
    let replayed = new Set<number>();
    try {
      replayed = await this.replay(subscriber, lastId);
    } catch (err) {
      unsubscribe();
      throw err;
    } finally {
      const held = subscriber.held ?? [];
      subscriber.held = null;
      // A change both read in the replay and heard live is sent once.
      for (const event of held) if (event.change === 'reset' || !replayed.has(event.id)) deliver(event);
    }
    return unsubscribe;
  }

  /** Sends `s` what changed after `lastId`, or `reset`; returns the change numbers it read. */
  private async replay(s: Subscriber, lastId: number): Promise<Set<number>> {
    const newest = await this.lastChangeId();
    const read = new Set<number>();
    const since = () => changesSince(this.pool, lastId, newest, s.sub.machines, this.deps.replayMax);
    const rows = lastId < newest ? await since() : lastId === newest ? [] : null;
    // The names before a names file changed are not kept: which sessions it renamed cannot be told.
    if (rows === null || rows.some((row) => row.path === SESSION_INDEX_FILE)) {
      s.deliver({ id: newest, change: 'reset', reason: 'expired' });
      return read;
    }
    for (let i = 0; i < rows.length; i += FILES_AT_ONCE) {
      const events = await Promise.all(rows.slice(i, i + FILES_AT_ONCE).map((row) => this.replayed(row, s.sub)));
      for (const [j, event] of events.entries()) {
        read.add(rows[i + j]!.seq);
        if (event !== null) s.deliver(event);
      }
    }
    return read;
  }

  /**
   * A change of the replay as an event: the session as it is now, `updated`, or `archived` /
   * `unarchived` when it is out of the subscriber's view (so that a client drops it), `removed`.
   */
  private async replayed(row: ReplayRow, sub: TeamSubscription): Promise<FeedEvent | null> {
    if (row.removed) {
      const session = await this.removedSummary(row.machine, row.path);
      const event: FeedEvent | null = session && { id: row.seq, change: 'removed', session };
      return event !== null && passes(sub, event) ? event : null;
    }
    const session = await this.read(row.machine, row.path);
    if (session === null) return null;
    const kinds: ChangeKind[] = ['updated', session.archived ? 'archived' : 'unarchived'];
    for (const change of kinds) {
      const event: FeedEvent = { id: row.seq, change, session };
      if (passes(sub, event)) return event;
    }
    return null;
  }

  private broadcast(event: FeedEvent): void {
    for (const s of this.subscribers) {
      if (!passes(s.sub, event)) continue;
      if (s.held !== null) s.held.push(event);
      else s.deliver(event);
    }
  }

  /** The summary of a pushed file as held now, kept for its `removed` event. */
  private async read(machine: string, path: string): Promise<SessionSummary | null> {
    const session = await this.deps.summaryOf(machine, path);
    this.last.set(keyOf(machine, path), session, weightOf(session));
    return session;
  }

  /** The summary last read of a removed file, or what its path says; null when it was not a session. */
  private async removedSummary(machine: string, path: string): Promise<SessionSummary | null> {
    const last = this.last.get(keyOf(machine, path));
    if (last !== undefined) return last;
    return this.deps.pathSummary(machine, path);
  }

  private async announce(notice: Notice): Promise<void> {
    const { machine, path, seq } = notice;
    if (path === SESSION_INDEX_FILE) return this.renames(machine, seq);
    if (notice.op === 'delete') {
      const session = this.subscribers.size === 0 ? null : await this.removedSummary(machine, path);
      this.last.delete(keyOf(machine, path));
      if (session !== null) this.broadcast({ id: seq, change: 'removed', session });
      return;
    }
    if (this.subscribers.size === 0) return;
    const session = await this.read(machine, path);
    if (session === null) return;
    let change: ChangeKind = notice.op === 'insert' || notice.wasEmpty ? 'created' : 'updated';
    if (notice.moved) change = session.archived ? 'archived' : 'unarchived';
    this.broadcast({ id: seq, change, session });
  }

  /** `renamed` for each session of `machine` whose user-set name changed with its names file (as ChangeFeed over one home). */
  private async renames(machine: string, seq: number): Promise<void> {
    const before = this.names.get(machine) ?? new Map<string, string>();
    const after = await this.deps.names(machine);
    this.names.set(machine, after);
    if (this.subscribers.size === 0 || before === after) return;
    const renamed = new Set<string>();
    for (const [id, name] of after) if (before.get(id) !== name) renamed.add(id);
    for (const id of before.keys()) if (!after.has(id)) renamed.add(id);
    if (renamed.size > MAX_RENAMES) return this.broadcast({ id: seq, change: 'reset', reason: 'overflow' });
    for (const id of renamed) {
      for (const path of await this.deps.pathsOf(machine, id)) {
        const session = await this.read(machine, path);
        if (session !== null) this.broadcast({ id: seq, change: 'renamed', session });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    const client = this.client;
    this.client = null;
    if (client !== null) {
      await client.query('UNLISTEN cs_changes').catch(() => {});
      client.release();
    }
    await this.queue;
  }
}
