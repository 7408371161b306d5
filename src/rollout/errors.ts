import { RETRY_AFTER_S } from './tuning.js';

/**
 * Every failure the repository layer reports. The HTTP layer maps each kind to a status
 * and a problem+json `code`; nothing below `src/http/` knows about HTTP.
 */
export const RolloutErrorKind = {
  InvalidCursor: 'InvalidCursor',
  InvalidId: 'InvalidId',
  InvalidQuery: 'InvalidQuery',
  NotFound: 'NotFound',
  AmbiguousId: 'AmbiguousId',
  RangeNotSatisfiable: 'RangeNotSatisfiable',
  ScanFailed: 'ScanFailed',
  /**
   * Not now, try again later: the memory budget had no room within its wait, the process is out
   * of file descriptors, or the work needs the index that is still being built. `retryAfterS`
   * says when.
   */
  Unavailable: 'Unavailable',
} as const;

export type RolloutErrorKind = (typeof RolloutErrorKind)[keyof typeof RolloutErrorKind];

export class RolloutError extends Error {
  readonly kind: RolloutErrorKind;
  /** For Unavailable: seconds after which a retry may succeed. */
  readonly retryAfterS: number | undefined;
  /** For AmbiguousId in team mode: the machines the id is on, so that a client can offer the choice. */
  readonly machines: readonly string[] | undefined;

  constructor(kind: RolloutErrorKind, message: string, options?: { cause?: unknown; retryAfterS?: number; machines?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RolloutError';
    this.kind = kind;
    this.retryAfterS = options?.retryAfterS;
    this.machines = options?.machines;
  }
}

/**
 * True for failures of the process rather than of the path: out of file descriptors (a client
 * holding thousands of idle connections, say). They say nothing about the file or directory, so
 * they must never be taken for "unreadable" or "gone" (a directory skipped, a session missing
 * from a page, an index row deleted): the request is answered Unavailable (503) instead.
 */
export function isExhausted(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/**
 * Rethrows a failure of a file's read that says nothing about the file: the memory budget had
 * no room, or the process is out of file descriptors (as Unavailable). Skipping the file then
 * would make the answer wrong, not just incomplete. Other failures are the caller's to judge.
 */
export function rethrowIfNotTheFile(err: unknown, what: string): void {
  if (err instanceof RolloutError && err.kind === RolloutErrorKind.Unavailable) throw err;
  if (isExhausted(err)) throw scanFailed(what, err);
}

/** Wraps an unexpected filesystem failure; the cause is kept for the log, never shown to clients. */
export function scanFailed(what: string, cause: unknown): RolloutError {
  if (isExhausted(cause)) {
    const message = 'the server is out of file descriptors; retry shortly';
    return new RolloutError(RolloutErrorKind.Unavailable, message, { cause, retryAfterS: RETRY_AFTER_S.descriptors });
  }
  return new RolloutError(RolloutErrorKind.ScanFailed, what, { cause });
}
