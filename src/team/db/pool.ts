import pg from 'pg';

export interface PoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** Called when an idle connection fails (the server restarted, say); the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

/** One pool per process; statements name themselves (prepared once per connection). */
export function openPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: 'codex-sessions',
  });
  // Without a listener, an idle connection's error would be an uncaught 'error' event and end the process.
  pool.on('error', (err) => options.onIdleError?.(err));
  return pool;
}
