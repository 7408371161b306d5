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
  /** The memory budget had no room for the request within its wait: try again shortly. */
  Busy: 'Busy',
} as const;

export type RolloutErrorKind = (typeof RolloutErrorKind)[keyof typeof RolloutErrorKind];

export class RolloutError extends Error {
  readonly kind: RolloutErrorKind;

  constructor(kind: RolloutErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RolloutError';
    this.kind = kind;
  }
}

/**
 * True for failures of the process rather than of the path: out of file descriptors (a client
 * holding thousands of idle connections, say). They say nothing about the file or directory, so
 * they must never be taken for "unreadable" or "gone" (a directory skipped, a session missing
 * from a page, an index row deleted): the request is answered Busy (503) instead.
 */
export function isExhausted(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** Wraps an unexpected filesystem failure; the cause is kept for the log, never shown to clients. */
export function scanFailed(what: string, cause: unknown): RolloutError {
  if (isExhausted(cause)) return new RolloutError(RolloutErrorKind.Busy, 'the server is out of file descriptors; retry shortly', { cause });
  return new RolloutError(RolloutErrorKind.ScanFailed, what, { cause });
}
