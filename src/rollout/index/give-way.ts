import { setImmediate as nextTurn } from 'node:timers/promises';

/** While requests keep coming, a background pass takes one step per this many responses. */
export const RESPONSES_PER_STEP = 2;
/**
 * While requests are under way but none is answered, a waiting step goes after this long: however
 * long the requests take, the build slows down but never stops.
 */
export const STEP_AT_LEAST_MS = 1000;
/** A request under way longer than this (a download, an export) no longer holds the build back. */
export const REQUEST_HOLDS_MS = 10_000;

/**
 * Requests being worked on, counted by the HTTP layer from their arrival until their response is
 * handed to the socket, and the steps of a background pass waiting for them. A build step run
 * between two turns of a request's work delays that request by the step's time: while requests
 * are under way, the waiting steps go one per RESPONSES_PER_STEP responses, in order, and all at
 * once when none is left (docs/index.md, "Keeping the event loop free while it builds"). Counted
 * in responses, not in time, the share the build keeps does not depend on the machine's speed.
 */
export class RequestsFirst {
  private working = 0;
  /** Responses since a step last went, while steps wait. */
  private answered = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Work a request or the watcher waits for that waits itself for a pass's step: no step waits meanwhile. */
  private hurried = 0;

  constructor(
    private readonly stepAtLeastMs = STEP_AT_LEAST_MS,
    private readonly holdsMs = REQUEST_HOLDS_MS,
  ) {}

  /** Counts a request as under way; the function returned ends it (a second call does nothing). */
  arrived(): () => void {
    this.working++;
    let over = false;
    const end = () => {
      if (over) return;
      over = true;
      clearTimeout(holding);
      this.working--;
      if (this.waiting.length === 0) return;
      if (this.working === 0) this.release(this.waiting.length);
      else if (++this.answered >= RESPONSES_PER_STEP) this.release(1);
    };
    const holding = setTimeout(end, this.holdsMs);
    holding.unref();
    return end;
  }

  /**
   * Says that work outside the pass (a request's catch-up, the watcher) waits for a step of the
   * pass: the requests under way may be waiting for it, so no step waits until the function
   * returned is called.
   */
  hurry(): () => void {
    this.hurried++;
    this.release(this.waiting.length);
    let over = false;
    return () => {
      if (over) return;
      over = true;
      this.hurried--;
    };
  }

  get underWay(): number {
    return this.working;
  }

  /** A turn of the event loop, then, while requests are under way, a wait for this step's turn. */
  async giveWay(): Promise<void> {
    await nextTurn();
    if (this.working === 0 || this.hurried > 0) return;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.timer ??= setTimeout(() => this.release(1), this.stepAtLeastMs);
    });
  }

  /** Lets the first `n` waiting steps go, and restarts the clock of the next one. */
  private release(n: number): void {
    this.answered = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const go of this.waiting.splice(0, n)) go();
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.release(1), this.stepAtLeastMs);
  }
}

/**
 * The process's count: one event loop serves every request and every index pass of the process,
 * whichever service (home, source) they belong to.
 */
export const requestsFirst = new RequestsFirst();

/** A background pass's turn before each step (upkeep.ts): requests under way go first. */
export const giveWay = (): Promise<void> => requestsFirst.giveWay();

/**
 * Turns of the full passes of several indexes served by one process (a mixed home: one index per
 * source, createRepository in src/app.ts): one pass at a time, in the order they asked. Two
 * builds at once each held their own SQLite page cache, FTS5 terms, write batches and the garbage
 * of their reads: the peak RSS of a 100,000-session mixed build was their sum (docs/performance.md,
 * "One build at a time"), while on one event loop they took no less time than one after the other.
 * Only passes take turns: a request's catch-up and the watcher's updates never wait for one.
 */
export class PassTurns {
  private held = false;
  private readonly waiting: (() => void)[] = [];
  /** How many passes have taken a turn (tests). */
  taken = 0;
  /** The most passes that ever held a turn at once (tests: never above one). */
  mostAtOnce = 0;
  private holding = 0;

  /**
   * Waits for this pass's turn; the function returned ends it (a second call does nothing). Null
   * when `signal` aborts first (the index closes): a closing index does not wait for another's pass.
   */
  async take(signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return null;
    if (this.held) {
      const got = await new Promise<boolean>((resolve) => {
        const go = () => {
          signal?.removeEventListener('abort', abort);
          resolve(true);
        };
        const abort = () => {
          this.waiting.splice(this.waiting.indexOf(go), 1);
          resolve(false);
        };
        this.waiting.push(go);
        signal?.addEventListener('abort', abort, { once: true });
      });
      if (!got) return null;
    }
    this.held = true;
    this.taken++;
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.holding);
    let over = false;
    return () => {
      if (over) return;
      over = true;
      this.holding--;
      const next = this.waiting.shift();
      if (next === undefined) this.held = false;
      else next(); // held stays true: the turn goes straight to the next pass
    };
  }
}
