import type pg from 'pg';
import type { FeedSubscription } from '../../rollout/live/change-feed.js';
import { wants } from '../../rollout/live/change-feed.js';
import type { ChangeKind, FeedEvent } from '../../rollout/live/event-log.js';
import type { RolloutLogger, SessionSummary } from '../../rollout/types.js';

/** What the trigger of migration 3 sends for every committed change of cs_files. */
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

interface Subscriber {
  sub: TeamSubscription;
  deliver: (event: FeedEvent) => void;
}

/** How long a lost listening connection waits before it connects again. */
const RECONNECT_MS = 1000;

/**
 * `/events` in team mode: every instance LISTENs on `cs_changes`, which the trigger on cs_files
 * notifies at each commit (an ingest on any instance), and turns each notice into the event
 * the single-machine feed sends, the session read from the database as it is then. Event ids are
 * cs_change_seq numbers, the same on every instance. Nothing is kept for replay: a client whose
 * Last-Event-ID is behind gets `reset` (it reloads its list), as when the local log expired.
 */
export class TeamFeed {
  private readonly subscribers = new Set<Subscriber>();
  private client: pg.PoolClient | null = null;
  private closed = false;
  /** Notices are turned into events one after another, so that events keep the order of commits. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly summaryOf: (machine: string, path: string) => Promise<SessionSummary | null>,
    private readonly log: RolloutLogger,
  ) {}

  /** Listens from now on; resolves once LISTEN is in place (a change committed after it is seen). */
  async start(): Promise<void> {
    if (this.client !== null || this.closed) return;
    const client = await this.pool.connect();
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== 'cs_changes' || message.payload === undefined) return;
      const notice = JSON.parse(message.payload) as Notice;
      this.queue = this.queue.then(() => this.announce(notice)).catch((err: unknown) => this.log.warn({ err }, 'a change event failed'));
    });
    client.on('error', (err) => {
      this.log.warn({ err }, 'the change listener lost its connection; listening again');
      client.release(err);
      this.client = null;
      // Changes meanwhile are not seen: every subscriber reloads.
      this.broadcast({ id: 0, change: 'reset', reason: 'overflow' });
      if (!this.closed) setTimeout(() => void this.start().catch(() => {}), RECONNECT_MS).unref();
    });
    await client.query('LISTEN cs_changes');
  }

  /** The newest change number (what a new subscriber has seen). */
  async lastChangeId(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT last_value::text AS n FROM cs_change_seq');
    return Number(rows[0]!.n);
  }

  /**
   * Delivers every change `sub` wants from now on; with `lastId` behind the newest change, first a
   * `reset` (nothing is kept to replay). Returns the unsubscribe function.
   */
  async subscribe(sub: TeamSubscription, lastId: number | null, deliver: (event: FeedEvent) => void): Promise<() => void> {
    await this.start();
    const subscriber = { sub, deliver };
    this.subscribers.add(subscriber);
    const newest = await this.lastChangeId();
    if (lastId !== null && lastId < newest) deliver({ id: newest, change: 'reset', reason: 'expired' });
    return () => this.subscribers.delete(subscriber);
  }

  private broadcast(event: FeedEvent): void {
    for (const { sub, deliver } of this.subscribers) {
      const machine = event.session?.machine;
      if (machine !== undefined && sub.machines !== undefined && !sub.machines.includes(machine)) continue;
      if (wants(sub, event)) deliver(event);
    }
  }

  private async announce(notice: Notice): Promise<void> {
    // A deletion leaves no bytes to summarise; clients see it on their next list (docs/team.md).
    if (this.subscribers.size === 0 || notice.op === 'delete') return;
    const session = await this.summaryOf(notice.machine, notice.path);
    if (session === null) return;
    let change: ChangeKind = notice.op === 'insert' || notice.wasEmpty ? 'created' : 'updated';
    if (notice.moved) change = session.archived ? 'archived' : 'unarchived';
    this.broadcast({ id: notice.seq, change, session });
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
