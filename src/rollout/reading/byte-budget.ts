import { RolloutError, RolloutErrorKind } from '../errors.js';

/** Gives back what an acquisition took (idempotent). */
export type Release = () => void;

const BUSY = 'the server is reading as much as its memory budget allows; retry shortly';
const GROWING = 'the server is counting as much as its memory budget allows; retry shortly';
/** The wait of a request whose client went away (answered 503, to nobody). */
const gone = () => new RolloutError(RolloutErrorKind.Unavailable, 'the request was abandoned while it waited for memory');

/** Where bytes are taken from: the shared pool, or one client's view of it (ClientShares.for). */
export interface Pool {
  /** The most one acquisition (or one lease, all its acquisitions together) can hold. */
  readonly capacity: number;
  /** Whether a lease waits to grow (Lease.grow): one at a time, over the whole pool whatever the client. */
  readonly growth: { waiting: boolean };
  /** Takes `bytes`, waiting at most `maxWaitMs` (default: the pool's wait); a wait whose `signal` aborts ends at once. */
  acquire(bytes: number, maxWaitMs?: number, signal?: AbortSignal): Promise<Release>;
  /** Takes `bytes` now if they are free; null otherwise. Never waits. */
  tryAcquire(bytes: number): Release | null;
}

/**
 * A pool of bytes shared by every request: `acquire` takes bytes, waiting first-come
 * first-served while the pool is short, and fails with RolloutError `Unavailable` after `maxWaitMs`
 * (the HTTP layer answers 503 with Retry-After). A request for more than the whole pool is
 * granted the whole pool, alone.
 */
export class BytePool implements Pool {
  readonly growth = { waiting: false };
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaitMs: number,
    /** What a wait that ran out says (the 503's detail). */
    private readonly busyMessage = BUSY,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Acquisitions waiting for room now. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** Nothing taken, nobody waiting. */
  get idle(): boolean {
    return this.used === 0 && this.waiting.length === 0;
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
      const busy = () => new RolloutError(RolloutErrorKind.Unavailable, this.busyMessage);
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
  private taken = 0;

  constructor(private readonly pool: Pool) {}

  /** Bytes the lease holds now. */
  get held(): number {
    return this.taken;
  }

  /**
   * Takes `bytes`, waiting for them (Unavailable after the pool's wait; given up when `signal`
   * aborts). At most what the pool has beside what this lease holds already: a lease that would
   * pass the pool's capacity holds the whole pool, alone, as one acquisition of more than the
   * pool would. Asking for more would wait for the lease's own bytes, then give up with 503.
   */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const want = Math.min(bytes, this.pool.capacity - this.taken);
    if (want <= 0) return;
    const release = await this.pool.acquire(want, undefined, signal);
    this.keep(release, want);
  }

  /**
   * Takes `bytes` more for work whose memory grows as it goes (at most what the pool has beside
   * what the lease holds): at once when they are free; else it waits for them, holding what it
   * has, when no other lease waits to grow; else it fails at once with Unavailable (503, retry).
   * Two leases that each held part of the pool and waited for more would wait for each other
   * until the wait ran out; one waiting at a time gets what those that do not wait give back.
   */
  async grow(bytes: number, signal?: AbortSignal): Promise<void> {
    const want = Math.min(bytes, this.pool.capacity - this.taken);
    if (want <= 0 || this.tryTake(want) || this.done) return;
    const { growth } = this.pool;
    if (growth.waiting) throw new RolloutError(RolloutErrorKind.Unavailable, GROWING);
    growth.waiting = true;
    try {
      await this.take(want, signal);
    } finally {
      growth.waiting = false;
    }
  }

  /** Takes `bytes` if they are free now; false otherwise, and always once the lease is released. */
  tryTake(bytes: number): boolean {
    if (this.done) return false;
    const release = this.pool.tryAcquire(bytes);
    if (release === null) return false;
    this.keep(release, bytes);
    return true;
  }

  private keep(release: Release, bytes: number): void {
    if (this.done) return release();
    this.releases.push(release);
    this.taken += bytes;
  }

  release(): void {
    this.done = true;
    const releases = this.releases;
    this.releases = [];
    this.taken = 0;
    for (const release of releases) release();
  }
}

/** Gives back `releases` once, however often it is called. */
function releaseOnce(...releases: (() => void)[]): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const release of releases) release();
  };
}

/**
 * Per-client caps inside a shared pool: one client (an address, as the HTTP layer names it)
 * holds at most `share` bytes of it at once, so that a client which opens hundreds of requests
 * and never reads their responses cannot hold the whole pool: its own requests wait for its
 * share (first come, first served, 503 after the wait), and everyone else's go on. A client's
 * count lives only while it holds or waits for bytes.
 */
export class ClientShares {
  private readonly pools = new Map<string, BytePool>();

  constructor(
    private readonly shared: BytePool,
    readonly share: number,
    private readonly maxWaitMs: number,
  ) {}

  /** Clients holding or waiting for bytes now. */
  get clients(): number {
    return this.pools.size;
  }

  /** The shared pool as `client` sees it: bytes come from its share first, then from the shared pool. */
  for(client: string): Pool {
    return {
      capacity: Math.min(this.share, this.shared.capacity),
      growth: this.shared.growth,
      acquire: (bytes, maxWaitMs = this.maxWaitMs, signal) => this.acquire(client, bytes, maxWaitMs, signal),
      tryAcquire: (bytes) => this.tryAcquire(client, bytes),
    };
  }

  private poolOf(client: string): BytePool {
    let pool = this.pools.get(client);
    if (pool === undefined) {
      const message = 'this client is reading as much as its share of the memory budget allows; retry shortly';
      pool = new BytePool(this.share, this.maxWaitMs, message);
      this.pools.set(client, pool);
    }
    return pool;
  }

  private forgetIfIdle(client: string, pool: BytePool): void {
    if (pool.idle && this.pools.get(client) === pool) this.pools.delete(client);
  }

  // The share is waited for first and the shared pool second, never the other way round: a
  // request waiting for its client's share holds nothing of the shared pool.
  private async acquire(client: string, bytes: number, maxWaitMs: number, signal?: AbortSignal): Promise<Release> {
    const started = performance.now();
    const own = this.poolOf(client);
    let releaseOwn: Release;
    try {
      releaseOwn = await own.acquire(bytes, maxWaitMs, signal);
    } catch (err) {
      this.forgetIfIdle(client, own);
      throw err;
    }
    const forget = () => this.forgetIfIdle(client, own);
    try {
      const left = Math.max(0, maxWaitMs - (performance.now() - started));
      return releaseOnce(await this.shared.acquire(bytes, left, signal), releaseOwn, forget);
    } catch (err) {
      releaseOwn();
      forget();
      throw err;
    }
  }

  private tryAcquire(client: string, bytes: number): Release | null {
    const own = this.poolOf(client);
    const releaseOwn = own.tryAcquire(bytes);
    const releaseShared = releaseOwn === null ? null : this.shared.tryAcquire(bytes);
    if (releaseOwn === null || releaseShared === null) {
      releaseOwn?.();
      this.forgetIfIdle(client, own);
      return null;
    }
    return releaseOnce(releaseShared, releaseOwn, () => this.forgetIfIdle(client, own));
  }
}

/**
 * The part of the request pool one client may hold at once: half, so that one client that stops
 * reading leaves the other half to everyone else, while one client reading normally (a
 * dashboard, a script with a few dozen requests in flight) does not wait for its own requests.
 */
export const CLIENT_SHARE_OF_REQUESTS = 1 / 2;

/**
 * The memory budget for session content in flight, across all requests. Half of it is for
 * requests (each takes a fixed share for its working set when it starts, and small records it
 * keeps for its response only while they fit), half for long lines that must be parsed whole
 * (a session meta or a first user message of megabytes). Everything else is streamed in
 * chunks and never held whole. Two pools, so that nothing waits for one while holding the
 * other's bytes: no request can block another for good. A request that names its client takes
 * its bytes of the request half through that client's share (see ClientShares).
 */
export class MemoryBudget {
  readonly requests: BytePool;
  readonly lines: BytePool;
  /** The request pool per client: no client holds more than CLIENT_SHARE_OF_REQUESTS of it. */
  readonly clients: ClientShares;

  constructor(
    readonly totalBytes: number,
    readonly maxWaitMs: number,
  ) {
    this.requests = new BytePool(Math.floor(totalBytes / 2), maxWaitMs);
    this.lines = new BytePool(Math.floor(totalBytes / 2), maxWaitMs);
    this.clients = new ClientShares(this.requests, Math.floor(this.requests.capacity * CLIENT_SHARE_OF_REQUESTS), maxWaitMs);
  }
}

export const DEFAULT_MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;
/** How long a request waits for its share of the budget before it is answered 503. */
export const DEFAULT_BUDGET_WAIT_MS = 30_000;
