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

/** Wraps an unexpected filesystem failure; the cause is kept for the log, never shown to clients. */
export function scanFailed(what: string, cause: unknown): RolloutError {
  return new RolloutError(RolloutErrorKind.ScanFailed, what, { cause });
}
