import { setImmediate as nextTurn } from 'node:timers/promises';

/** While requests keep coming, a background pass takes one step per this many responses. */
export const RESPONSES_PER_STEP = 2;
/**
 * How long a step waits at most for its turn: however long the requests under way take, the build
 * slows down but never stops.
 */
export const GIVE_WAY_MAX_MS = 200;

/**
 * Requests being worked on, counted by the HTTP layer from their arrival until their response is
 * handed to the socket, and the steps of a background pass waiting for them. A build step run
 * between two turns of a request's work delays that request by the step's time: while requests
 * are under way, the waiting steps go one per RESPONSES_PER_STEP responses, in order, and all at
 * once when none is left (docs/index.md, "Keeping the event loop free while it builds"). Counted
 * in responses, not in time, the share the build keeps does not depend on the machine's load.
 */
export class RequestsFirst {
  private working = 0;
  /** Responses since a step last went, while steps wait. */
  private answered = 0;
  private readonly waiting: (() => void)[] = [];

  /** Counts a request as under way; the function returned ends it (a second call does nothing). */
  arrived(): () => void {
    this.working++;
    let over = false;
    return () => {
      if (over) return;
      over = true;
      this.working--;
      if (this.waiting.length === 0) return;
      if (this.working === 0) {
        this.answered = 0;
        for (const go of this.waiting.splice(0)) go();
        return;
      }
      if (++this.answered < RESPONSES_PER_STEP) return;
      this.answered = 0;
      this.waiting.shift()!();
    };
  }

  get underWay(): number {
    return this.working;
  }

  /** A turn of the event loop, then, while requests are under way, a wait for this step's turn (at most `maxMs`). */
  async giveWay(maxMs = GIVE_WAY_MAX_MS): Promise<void> {
    await nextTurn();
    if (this.working === 0) return;
    await new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve();
      }, maxMs);
      this.waiting.push(go);
    });
  }
}

/**
 * The process's count: one event loop serves every request and every index pass of the process,
 * whichever service (home, source) they belong to.
 */
export const requestsFirst = new RequestsFirst();

/** A background pass's turn before each step (upkeep.ts): requests under way go first. */
export const giveWay = (): Promise<void> => requestsFirst.giveWay();
