/**
 * How much the service does at once, and how long it tells a client to wait: one place for the
 * figures, so that they are set side by side. The HTTP layer turns `RETRY_AFTER_S` into
 * Retry-After headers; the repository puts them on its Unavailable errors.
 */

/**
 * Files one piece of work reads at once: a list page, a usage scan, a batch of the index build.
 * Enough to hide the disk's latency; few enough to bound memory (each read holds its working
 * set) and file descriptors.
 */
export const FILES_AT_ONCE = 16;

/** Seconds a 503 tells the client to wait before it retries (Retry-After), by why it was refused. */
export const RETRY_AFTER_S = {
  /** The memory budget had no room within its wait: responses finish and give it back within seconds. */
  memory: 2,
  /** The process is out of file descriptors: idle connections are closed within seconds. */
  descriptors: 2,
  /** The work needs the index, which is being built: a client polls the build's progress at this pace. */
  indexBuilding: 5,
  /** The work needs the index, which is not complete and not being built (it failed, or waits to be). */
  indexIncomplete: 30,
  /** Every event-stream slot is taken, or the server is shutting down. */
  streams: 5,
} as const;
