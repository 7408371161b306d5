import { RolloutError, RolloutErrorKind } from '../errors.js';

/** Gives back what an acquisition took (idempotent). */
export type Release = () => void;

const busy = () =>
  new RolloutError(RolloutErrorKind.Unavailable, 'the server is reading as much as its memory budget allows; retry shortly');
/** The wait of a request whose client went away (answered 503, to nobody). */
const gone = () => new RolloutError(RolloutErrorKind.Unavailable, 'the request was abandoned while it waited for memory');

/**
 * A pool of bytes shared by every request: `acquire` takes bytes, waiting first-come
 * first-served while the pool is short, and fails with RolloutError `Unavailable` after `maxWaitMs`
 * (the HTTP layer answers 503 with Retry-After). A request for more than the whole pool is
 * granted the whole pool, alone.
 */
export class BytePool {
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaitMs: number,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` now if they are free and nobody waits before us; null otherwise. Never waits. */
  tryAcquire(bytes: number): Release | null {
    const want = Math.min(bytes, this.capacity);
    if (this.waiting.length > 0 || this.used + want > this.capacity) return null;
    this.used += want;
    return this.releaser(want);
  }

  /**
   * Takes `bytes`, waiting at most `maxWaitMs` (Infinity: as long as it takes) for them. A wait
   * whose `signal` aborts (the client went away) ends at once and takes nothing.
   */
  acquire(bytes: number, maxWaitMs = this.maxWaitMs, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(gone());
    const now = this.tryAcquire(bytes);
    if (now !== null) return Promise.resolve(now);
    const want = Math.min(bytes, this.capacity);
    return new Promise((resolve, reject) => {
      const leave = (err: Error) => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiting.indexOf(entry);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(err);
        this.wake(); // those behind may fit now
      };
      const onAbort = () => leave(gone());
      const entry = {
        bytes: want,
        grant: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.used += want;
          resolve(this.releaser(want));
        },
      };
      const timer = Number.isFinite(maxWaitMs) ? setTimeout(() => leave(busy()), maxWaitMs) : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(bytes: number): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= bytes;
      this.wake();
    };
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.used + (this.waiting[0] as { bytes: number }).bytes <= this.capacity) {
      (this.waiting.shift() as { grant: () => void }).grant();
    }
  }
}

/**
 * What one request holds of a pool: a share taken when it starts (waiting for room), plus small
 * amounts taken on the way only when they are free (never waiting). Released all at once when
 * the response is done.
 */
export class Lease {
  private releases: Release[] = [];
  /** Released: the response is over (maybe before the request was done with it); nothing more is taken. */
  private done = false;

  constructor(private readonly pool: BytePool) {}

  /** Takes `bytes`, waiting for them (Unavailable after the pool's wait; given up when `signal` aborts). */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const release = await this.pool.acquire(bytes, undefined, signal);
    if (this.done) release();
    else this.releases.push(release);
  }

  /** Takes `bytes` if they are free now; false otherwise, and always once the lease is released. */
  tryTake(bytes: number): boolean {
    if (this.done) return false;
    const release = this.pool.tryAcquire(bytes);
    if (release === null) return false;
    this.releases.push(release);
    return true;
  }

  release(): void {
    this.done = true;
    const releases = this.releases;
    this.releases = [];
    for (const release of releases) release();
  }
}

/**
 * The memory budget for session content in flight, across all requests. Half of it is for
 * requests (each takes a fixed share for its working set when it starts, and small records it
 * keeps for its response only while they fit), half for long lines that must be parsed whole
 * (a session meta or a first user message of megabytes). Everything else is streamed in
 * chunks and never held whole. Two pools, so that nothing waits for one while holding the
 * other's bytes: no request can block another for good.
 */
export class MemoryBudget {
  readonly requests: BytePool;
  readonly lines: BytePool;

  constructor(
    readonly totalBytes: number,
    readonly maxWaitMs: number,
  ) {
    this.requests = new BytePool(Math.floor(totalBytes / 2), maxWaitMs);
    this.lines = new BytePool(Math.floor(totalBytes / 2), maxWaitMs);
  }
}

export const DEFAULT_MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;
/** How long a request waits for its share of the budget before it is answered 503. */
export const DEFAULT_BUDGET_WAIT_MS = 30_000;
