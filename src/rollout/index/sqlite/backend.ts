import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IndexFactory } from '../metadata-index.js';
import { StoreIndex, type StoreIndexOptions } from '../store-index.js';
import { StoreRefusedError, type StoreBackend, type StoreTrouble } from '../store.js';
import { SqliteStore } from './store.js';

export interface SqliteIndexOptions extends StoreIndexOptions {
  /** The index file, outside the Codex home. */
  path: string;
}

/** The SQLite index as the repository's index factory. */
export function sqliteIndex(options: SqliteIndexOptions): IndexFactory {
  return (deps) => new StoreIndex(new SqliteBackend(options.path, deps.walker.home), options, deps);
}

/**
 * The life of the SQLite file: opened (created) on demand, replaced when it is found corrupt,
 * left alone when it belongs to another home, and waited for (never replaced) while another
 * process holds its lock.
 */
export class SqliteBackend implements StoreBackend {
  constructor(
    private readonly path: string,
    private readonly codexHome: string,
  ) {}

  get where(): string {
    return this.path;
  }

  /**
   * Opens (or creates) the file; a corrupt one is replaced, and with `fresh` whatever it holds
   * (it was found corrupt while running). A busy one (locked by another process) is not: its
   * error goes to the caller, which tries again. The native module is loaded here, not at
   * start-up: serving the first page does not need it.
   */
  async open(home: string, fresh: boolean): Promise<SqliteStore> {
    const { default: Sqlite } = await import('better-sqlite3');
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const remove = () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(this.path + suffix, { force: true });
    };
    if (fresh) remove();
    try {
      return new SqliteStore(Sqlite, this.path, this.codexHome, home);
    } catch (err) {
      if (err instanceof StoreRefusedError || this.classify(err)?.kind !== 'lost') throw err;
      remove();
      return new SqliteStore(Sqlite, this.path, this.codexHome, home);
    }
  }

  /**
   * What an error of a store call says about the file: damaged (`lost`: overwritten, truncated,
   * not a database any more), its tables gone (`schema`: another process rebuilt or dropped
   * them), or locked by another process (`busy`); null for an error of the call itself.
   */
  classify(err: unknown): StoreTrouble | null {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') return null;
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return { kind: 'busy', reason: 'the index file is locked by another process' };
    }
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_IOERR')) {
      return { kind: 'lost', reason: 'the index file was found corrupt' };
    }
    if (code === 'SQLITE_ERROR' && /no such (table|column|index)/.test(String((err as Error).message))) {
      return { kind: 'schema', reason: 'the index file lost its tables' };
    }
    return null;
  }
}
