import type pg from 'pg';
import { SchemaTooNewError, migrate } from '../../../team/db/migrations.js';
import type { IndexFactory } from '../metadata-index.js';
import { StoreIndex, type StoreIndexOptions } from '../store-index.js';
import { StoreRefusedError, type StoreBackend, type StoreTrouble } from '../store.js';
import { PgStore } from './store.js';

export interface PgIndexOptions extends StoreIndexOptions {
  /** The team database's pool (src/team/db/pool.ts); the caller ends it. */
  pool: pg.Pool;
}

/** The PostgreSQL index as the repository's index factory (not wired to a server yet: see docs/team.md). */
export function pgIndex(options: PgIndexOptions): IndexFactory {
  return (deps) => new StoreIndex(new PgBackend(options.pool), options, deps);
}

/**
 * The life of a home's index in the team database: the schema is brought up to date by the
 * one migration mechanism (src/team/db/migrations.ts), a home is opened by its row in
 * cs_index_homes, and `fresh` drops that home's rows only (never another home's).
 */
export class PgBackend implements StoreBackend {
  readonly where = 'PostgreSQL (team database)';

  constructor(private readonly pool: pg.Pool) {}

  async open(home: string, fresh: boolean): Promise<PgStore> {
    try {
      await migrate(this.pool);
    } catch (err) {
      // A newer release migrated the database: this one must not write it.
      if (err instanceof SchemaTooNewError) throw new StoreRefusedError(err.message);
      throw err;
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (fresh) {
        // Documents and responses go with their rows (ON DELETE CASCADE).
        await client.query('DELETE FROM cs_index_files WHERE home = $1', [home]);
        await client.query('DELETE FROM cs_index_homes WHERE home = $1', [home]);
      }
      await client.query('INSERT INTO cs_index_homes (home) VALUES ($1) ON CONFLICT (home) DO NOTHING', [home]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    return new PgStore(this.pool, home);
  }

  /**
   * PostgreSQL's error classes (SQLSTATE) as the index acts on them: a connection lost, a
   * server shutting down, a lock or serialization conflict are `busy` (try again; nothing is
   * dropped); a table gone is `schema`; data found corrupt is `lost`.
   */
  classify(err: unknown): StoreTrouble | null {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') return null;
    if (code.startsWith('08') || code.startsWith('57P') || code === '53300' || code === '40001' || code === '40P01' || code === '55P03') {
      return { kind: 'busy', reason: 'the team database is unavailable or busy' };
    }
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) {
      return { kind: 'busy', reason: 'the team database cannot be reached' };
    }
    if (code === '42P01' || code === '42703') return { kind: 'schema', reason: "the team database lost the index's tables" };
    if (code === 'XX001' || code === 'XX002') return { kind: 'lost', reason: 'the team database reported corrupt index data' };
    return null;
  }
}
