import { appendFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { updateFile } from '../../../src/rollout/index/file-update.js';
import { SqliteBackend } from '../../../src/rollout/index/sqlite/backend.js';
import type { IndexStore, WriteOp } from '../../../src/rollout/index/store.js';
import { WriteBatch } from '../../../src/rollout/index/write-batch.js';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS } from '../../../src/rollout/reading/session-reader.js';
import type { RolloutFile } from '../../../src/rollout/types.js';
import { envelopeLines, tempHome, uuidN, writeSession, type Line } from '../../helper.js';
import { turnContext, u, usageRecord } from '../../usage-lines.js';

// Issue 17, item 7: indexing a file of 300,000 token_usage_record lines took ~115 s. Every
// checkpoint (one per 100 responses) stored the usage counter's state, and that state held a
// digest of every response seen so far: each checkpoint copied, wrote and read back a state that
// grew with the file, so the work grew with the square of the file.

const STAMP = '2025-10-01T10-00-00';
const T = (s: number) => new Date(Date.UTC(2025, 9, 1, 10) + s * 1000).toISOString();

interface Indexed {
  store: IndexStore;
  file: RolloutFile;
  /** The JSON size of the state of each checkpoint written. */
  checkpoints: number[];
  /** Brings the file's row up to date, as the upkeep does. */
  update(): Promise<void>;
}

async function indexed(home: string, id: string, lines: Line[]): Promise<Indexed> {
  const relPath = await writeSession(home, { stamp: STAMP, id }, lines);
  const file: RolloutFile = { key: `${STAMP}|${id}`, stamp: STAMP, id, absPath: join(home, relPath), relPath, archived: false };
  const store = await new SqliteBackend(join(await tempHome(), 'index.sqlite'), home).open('h', true);
  const checkpoints: number[] = [];
  const write = async (ops: WriteOp[]) => {
    for (const op of ops) if (op.kind === 'content') checkpoints.push(JSON.stringify(op.at.state).length);
    await store.write(ops);
  };
  const env = { realRoot: await realpath(home), limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(64 * 1024 * 1024, 5_000) };
  const ctx = {
    env: async () => env,
    log: pino({ level: 'silent' }),
    current: () => true,
    responseKeys: (p: string) => store.responseKeys(p),
  };
  const update = async () => {
    const batch = new WriteBatch(write);
    await updateFile(await store.get(relPath), batch, file, ctx);
    await batch.flush();
  };
  await update();
  return { store, file, checkpoints, update };
}

const records = (id: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => usageRecord(T(from + i), id, `resp_${from + i}`, u(10, 0, 1, 0)));

const totalTokens = async ({ store, file }: Pick<Indexed, 'store' | 'file'>) =>
  ((await store.usageOf([file.relPath])).get(file.relPath) ?? []).reduce((n, m) => n + m.inputTokens + m.outputTokens, 0);

describe('the usage state of an index checkpoint', () => {
  it('does not grow with the file: the state written over a pass is a small part of the file (quadratic before)', async () => {
    const home = await tempHome();
    const id = uuidN(1);
    const n = 5000;
    const lines = [...envelopeLines({ stamp: STAMP, id, title: 'many' }), turnContext(T(0), 'gpt-5'), ...records(id, 0, n)];
    const { store, file, checkpoints } = await indexed(home, id, lines);
    try {
      const size = (await stat(file.absPath)).size;
      expect(checkpoints.length).toBeGreaterThanOrEqual(n / 100);
      // Before: the last checkpoint's state held 5,000 digests (~95 KB), and the pass wrote ~2.4 MB of state for a 1.3 MB file.
      expect(Math.max(...checkpoints)).toBeLessThan(2048);
      expect(checkpoints.reduce((a, b) => a + b, 0)).toBeLessThan(size / 10);
      expect(await totalTokens({ store, file })).toBe(n * 11);
    } finally {
      await store.close();
    }
  });

  it('still counts a response once when an append repeats one indexed before (the keys come from the store)', async () => {
    const home = await tempHome();
    const id = uuidN(2);
    const head = [...envelopeLines({ stamp: STAMP, id, title: 'appended' }), turnContext(T(0), 'gpt-5')];
    const run = await indexed(home, id, [...head, ...records(id, 0, 300)]);
    try {
      expect(await totalTokens(run)).toBe(300 * 11);
      // The same response written again (resp_5, as Codex does when it re-emits a record), then a new one.
      const again = [usageRecord(T(400), id, 'resp_5', u(10, 0, 1, 0)), ...records(id, 300, 301)];
      await appendFile(run.file.absPath, again.map((l) => `${JSON.stringify(l)}\n`).join(''));
      await run.update();
      expect((await run.store.get(run.file.relPath))?.contentSize).toBe((await stat(run.file.absPath)).size);
      expect(await totalTokens(run)).toBe(301 * 11);
      // The same answer as an index built from the whole file at once.
      const fresh = await indexed(await tempHome(), id, [...head, ...records(id, 0, 300), ...again]);
      try {
        expect(await totalTokens(fresh)).toBe(301 * 11);
        expect(await fresh.store.responseKeys(fresh.file.relPath)).toHaveLength(301);
      } finally {
        await fresh.store.close();
      }
    } finally {
      await run.store.close();
    }
  });
});
