// The SQLite page cache sizes of an index connection: one while a pass builds, one once the index serves.

/**
 * SQLite's page cache once the index is complete, in KiB (better-sqlite3's default is 16 MB).
 * Serving reads few pages per query and the OS caches the file: the 16 MB
 * were ~14 MB of a fresh service's RSS after its verification pass, with no query measurably faster.
 */
export const SERVING_CACHE_KIB = 2048;
/**
 * The page cache while a pass builds the index, in KiB (half better-sqlite3's 16 MB): the
 * 100,000-session mixed build peaked above its RSS goal in the Claude pass, and a build's
 * pages are written once and read back from the OS's cache (docs/performance.md, "branch mixedrss32").
 */
export const BUILD_CACHE_KIB = 8192;
