import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CountQuery, IndexStore } from '../../../src/rollout/index/store.js';
import { SqliteBackend } from '../../../src/rollout/index/sqlite/backend.js';
import type { SqliteStore } from '../../../src/rollout/index/sqlite/store.js';
import { fold } from '../../../src/rollout/fold.js';
import { tempHome, uuidN } from '../../helper.js';
import { STORE_CONTRACT, describeStoreContract, entryOf, type Spec } from './store-contract.js';

// One file per case; every home of a case opens that same file (rows are keyed by home).
describeStoreContract('SQLite', async () => {
  const backend = new SqliteBackend(join(await tempHome(), 'index.sqlite'), '/home/u/.codex');
  return (home) => backend.open(home, false);
});

/** A store that declines everything: it answers nothing and keeps nothing, while saying it is complete. */
class DecliningStore implements IndexStore {
  constructor(readonly home: string) {}
  complete = async () => true;
  count = async () => 0;
  get = async () => undefined;
  responseKeys = async () => [];
  paths = async () => [];
  byId = async () => [];
  write = async () => true;
  afterPass = async () => {};
  query = async () => [];
  countMatching = async () => 0;
  searchFilter = async () => ({ backend: 'none' });
  documents = async () => null;
  usageOf = async () => new Map();
  usageTimeRange = async () => null;
  aggregateUsage = async () => ({ tokens: [], sessions: [] });
  verify = async () => null;
  close = async () => {};
}

describe('the store contract', () => {
  for (const [title, run] of Object.entries(STORE_CONTRACT)) {
    it(`fails for a store that declines everything: ${title}`, async () => {
      await expect(run(async (home) => new DecliningStore(home))).rejects.toThrow();
    });
  }
});

describe('SQLite counts of list pages', () => {
  it('are kept until a write changes what they read: not an append, not content', async () => {
    const backend = new SqliteBackend(join(await tempHome(), 'index.sqlite'), '/home/u/.codex');
    const store = (await backend.open('h', false)) as SqliteStore;
    try {
      await store.write([{ kind: 'complete' }]);
      const filter = { cwd: ['/w'] };
      const q: CountQuery = { sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter, nameMatchIds: [] };
      expect([await store.countMatching(q), await store.countMatching(q), store.counts.hits]).toEqual([0, 0, 1]);
      const stamp = { dev: 1, ino: 1, size: 1, mtimeMs: 1, ctimeMs: 1 };
      await store.write([{ kind: 'grew', relPath: 'sessions/x.jsonl', stamp }]);
      expect([await store.countMatching(q), store.counts.hits]).toEqual([0, 2]);
      await store.write([{ kind: 'delete', relPath: 'sessions/x.jsonl' }]);
      expect([await store.countMatching(q), store.counts.hits]).toEqual([0, 2]);
      // A date range on the update time reads the stamps an append moves: never kept.
      const recent: CountQuery = { ...q, sort: 'updated', filter: { sinceMs: 0 } };
      expect([await store.countMatching(recent), await store.countMatching(recent), store.counts.hits]).toEqual([0, 0, 2]);
    } finally {
      await store.close();
    }
  });
});

describe('the SQLite row count (GET /readyz)', () => {
  it('is read again only after a write that changes the rows, not on every call', async () => {
    const backend = new SqliteBackend(join(await tempHome(), 'index.sqlite'), '/home/u/.codex');
    const store = (await backend.open('h', false)) as SqliteStore;
    try {
      await store.write([{ kind: 'complete' }]);
      expect([await store.count(), await store.count(), await store.count(), store.counts.hits]).toEqual([0, 0, 0, 2]);
      await store.write([{ kind: 'delete', relPath: 'sessions/x.jsonl' }]);
      expect([await store.count(), store.counts.hits]).toEqual([0, 2]);
    } finally {
      await store.close();
    }
  });
});

describe('the SQLite title trigrams (q=)', () => {
  const spec = (n: number, title: string | null): Spec =>
    ({ n, title, stamp: `2025-04-01T00-00-0${n}`, cwd: '/w', source: 'cli', provider: 'openai', mtime: '2025-05-01' });
  const entries = [spec(1, 'Fix the LINTER'), spec(2, 'ΠΡΟΣΟΧΗ'), spec(3, null), spec(4, 'the linters')].map((s) => entryOf(s));
  const q = (text: string): CountQuery =>
    ({ sort: 'created', order: 'desc', archived: 'false', includeEmpty: true, filter: { q: fold(text) }, nameMatchIds: [] });
  const listed = async (store: SqliteStore, text: string) =>
    (await store.query({ ...q(text), limit: 10 })).map((r) => Number.parseInt(r.id.slice(-4), 16));
  const fids = (store: SqliteStore, text: string, names: string[] = []) => store.titles.narrowing(fold(text), names, 'h')?.params;

  it('narrow a q of three characters or more to the files whose folded title may hold it', async () => {
    const backend = new SqliteBackend(join(await tempHome(), 'index.sqlite'), '/home/u/.codex');
    const store = (await backend.open('h', false)) as SqliteStore;
    try {
      await store.write(entries.map((entry) => ({ kind: 'entry', entry, resetContent: null })));
      expect(fids(store, 'Linter')).toEqual(['[1,4]']);
      expect(fids(store, 'προσ')).toEqual(['[2]']);
      expect(fids(store, 'no such title')).toEqual(['[]']);
      expect(fids(store, 'no such title', [uuidN(3)])).toEqual(['[3]']);
      expect(fids(store, 'li')).toBeUndefined(); // shorter than a trigram: the key walk
      expect(await listed(store, 'linter')).toEqual([4, 1]);
      // A new title replaces the old one's trigrams; a removed row takes its own.
      await store.write([{ kind: 'entry', entry: entryOf(spec(1, 'renamed')), resetContent: null },
        { kind: 'delete', relPath: entries[3]!.file.relPath }]);
      expect([fids(store, 'linter'), fids(store, 'renamed')]).toEqual([['[]'], ['[1]']]);
    } finally {
      await store.close();
    }
  });

  it('are filled from the rows of an index of schema 15, which is kept; an index of an older schema is rebuilt', async () => {
    const path = join(await tempHome(), 'index.sqlite');
    const backend = new SqliteBackend(path, '/home/u/.codex');
    const first = (await backend.open('h', false)) as SqliteStore;
    await first.write([...entries.map((entry) => ({ kind: 'entry', entry, resetContent: null }) as const), { kind: 'complete' }]);
    await first.close();
    const downgrade = (schema: string) => {
      const db = new Database(path);
      db.exec(`DROP TABLE titles_fts; UPDATE meta SET v = '${schema}' WHERE k = 'schema'`);
      db.close();
    };
    downgrade('15');
    const migrated = (await backend.open('h', false)) as SqliteStore;
    try {
      expect([await migrated.complete(), await migrated.count()]).toEqual([true, 4]);
      expect(fids(migrated, 'linter')).toEqual(['[1,4]']);
      expect(await listed(migrated, 'ΠΡΟΣ')).toEqual([2]);
      expect(await migrated.countMatching(q('linter'))).toBe(2);
    } finally {
      await migrated.close();
    }
    downgrade('14');
    const rebuilt = (await backend.open('h', false)) as SqliteStore;
    try {
      expect([await rebuilt.complete(), await rebuilt.count(), fids(rebuilt, 'linter')]).toEqual([false, 0, ['[]']]);
    } finally {
      await rebuilt.close();
    }
  });
});
