import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IndexStore } from '../../../src/rollout/index/store.js';
import { SqliteBackend } from '../../../src/rollout/index/sqlite/backend.js';
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
