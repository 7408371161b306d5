import { RolloutError, RolloutErrorKind } from '../errors.js';

/**
 * Characters of text (and bytes of lines read from files) one search request may examine
 * before it stops starting sessions: at most a few hundred milliseconds of CPU (docs/search.md,
 * "Bounds"). A needle the index cannot narrow (fewer than 3 characters) reads every session's
 * text, so it reaches this and answers a partial page with `reachedScanCap` and a cursor.
 */
export const DEFAULT_SEARCH_BUDGET_CHARS = 32 * 1024 * 1024;

/** What every search request examined, summed (tests observe that an abandoned request stops). */
export interface SearchMeter {
  /** Characters and bytes examined by all search requests so far. */
  examined: number;
  /** Search requests working now. */
  active: number;
}

/** The request's client went away: the work stops (the answer goes nowhere). */
export const abandoned = () => new RolloutError(RolloutErrorKind.Unavailable, 'the request was abandoned by its client');

/**
 * The work of one search request: a budget of characters and the client's signal. Every
 * document (and every line a scan reads) is charged before it is examined; a charge after the
 * client went away throws, so the scan and the index search stop at the next record.
 */
export class SearchWork {
  private spent = 0;
  private sessions = 0;

  constructor(
    private readonly budget: number,
    private readonly meter: SearchMeter,
    private readonly signal?: AbortSignal,
  ) {}

  /** Charges `units` (throws once the client is gone). */
  charge(units: number): void {
    if (this.signal?.aborted) throw abandoned();
    this.spent += units;
    this.meter.examined += units;
  }

  /** The budget is spent: start no more sessions (or records of one session's search). */
  get exhausted(): boolean {
    return this.spent >= this.budget;
  }

  /**
   * A session starts being examined; true for the first of the request, which is examined to
   * its end whatever the budget (a page always gets past at least one session, so a cursor
   * always moves on). Sessions are started in page order.
   */
  startSession(): boolean {
    this.sessions += 1;
    return this.sessions === 1;
  }

  /** Runs `fn` counted as one active search (the meter's `active`). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.signal?.aborted) throw abandoned();
    this.meter.active += 1;
    try {
      return await fn();
    } finally {
      this.meter.active -= 1;
    }
  }
}
