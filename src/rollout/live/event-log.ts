import type { SessionSummary } from '../types.js';

/** How a session changed: see ChangeFeed for how each is told apart. */
export type ChangeKind = 'created' | 'updated' | 'removed' | 'archived' | 'unarchived' | 'renamed';

/**
 * One entry of the change log: a session change, or `reset` (the log cannot say what changed:
 * a client should fetch the list again).
 */
export type FeedEvent =
  | { id: number; change: ChangeKind; session: SessionSummary }
  /** `expired`: the log no longer reaches back to the client's last id; `overflow`: too many changes at once to list. */
  | { id: number; change: 'reset'; reason: 'expired' | 'overflow'; session?: undefined };

export interface EventLogOptions {
  /** Events kept for replay (at least this many, unless they pass maxBytes). */
  capacity: number;
  /** Estimated bytes the kept events may take; a few huge titles can make the log shorter than `capacity`. */
  maxBytes: number;
}

export const DEFAULT_EVENT_LOG: EventLogOptions = { capacity: 10_000, maxBytes: 64 * 1024 * 1024 };

type Subscriber = (event: FeedEvent) => void;

/** Allowance per event for the object, its fields and the array slot, on top of its strings. */
const EVENT_OVERHEAD = 256;

function estimateBytes(event: FeedEvent): number {
  if (event.session === undefined) return EVENT_OVERHEAD;
  let bytes = EVENT_OVERHEAD;
  for (const value of Object.values(event.session)) if (typeof value === 'string') bytes += value.length * 2;
  return bytes;
}

/**
 * The bounded log of the last changes, with ids that increase by one per event. Ids start at
 * the process start time in microseconds, so they keep increasing across restarts and an id
 * from an earlier process is simply "older than the log". A subscriber that was away gives
 * the last id it saw and gets every event after it again, or `reset` when the log no longer
 * reaches back that far.
 */
export class EventLog {
  private readonly events: FeedEvent[] = [];
  private readonly sizes: number[] = [];
  private first = 0;
  private bytes = 0;
  private nextId: number;
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly options: EventLogOptions = DEFAULT_EVENT_LOG) {
    this.nextId = Date.now() * 1000;
  }

  /** The id of the newest event (or the one before the first, while there is none). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** Events held for replay. */
  get size(): number {
    return this.events.length - this.first;
  }

  append(change: ChangeKind | 'reset', session?: SessionSummary): FeedEvent {
    const id = this.nextId;
    const event: FeedEvent = change === 'reset' ? { id, change, reason: 'overflow' } : { id, change, session: session! };
    this.nextId += 1;
    const size = estimateBytes(event);
    this.events.push(event);
    this.sizes.push(size);
    this.bytes += size;
    while (this.size > this.options.capacity || (this.bytes > this.options.maxBytes && this.size > 1)) {
      this.bytes -= this.sizes[this.first]!;
      this.first += 1;
    }
    if (this.first >= this.options.capacity) {
      this.events.splice(0, this.first);
      this.sizes.splice(0, this.first);
      this.first = 0;
    }
    for (const deliver of this.subscribers) deliver(event);
    return event;
  }

  /**
   * Delivers every new event to `deliver`. With `lastId`, first the events after it (or one
   * `reset` carrying the newest id, when the log does not reach back to it or it is not an id
   * this log gave out). Returns the unsubscribe function.
   */
  subscribe(lastId: number | null, deliver: Subscriber): () => void {
    if (lastId !== null && lastId !== this.lastId) {
      const firstId = this.size > 0 ? this.events[this.first]!.id : this.nextId;
      if (lastId >= firstId - 1 && lastId < this.lastId) {
        for (let i = this.first + (lastId + 1 - firstId); i < this.events.length; i++) deliver(this.events[i]!);
      } else {
        deliver({ id: this.lastId, change: 'reset', reason: 'expired' });
      }
    }
    this.subscribers.add(deliver);
    return () => this.subscribers.delete(deliver);
  }
}
