import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CountQuery, IndexStore } from '../../../src/rollout/index/store.js';
import { SqliteBackend } from '../../../src/rollout/index/sqlite/backend.js';
import type { SqliteStore } from '../../../src/rollout/index/sqlite/store.js';
import { tempHome } from '../../helper.js';
import { STORE_CONTRACT, describeStoreContract } from './store-contract.js';

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
