import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import { EXPECTED, TREE, writeUsageTree } from '../../http/usage-tree.js';
import { tempHome } from '../../helper.js';

describe('GET /usage by reading the files (no index)', () => {
  it('takes its share of the memory budget first: with none left it is Unavailable, and answers once there is room', async () => {
    const home = await tempHome();
    await writeUsageTree(home, ['A', 'B']);
    const memory = new MemoryBudget(1024 * 1024, 100);
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 100, log: pino({ level: 'silent' }), memory });
    const request = { groupBy: 'session', tz: 'UTC', archived: 'all', limit: 100 } as const;
    try {
      const release = await memory.requests.acquire(memory.requests.capacity);
      await expect(repo.usage(request)).rejects.toMatchObject({ kind: 'Unavailable' });
      release();
      const report = await repo.usage(request);
      expect(new Map(report.rows.map((r) => [r.key, r.totalTokens]))).toEqual(
        new Map([
          [TREE.B, EXPECTED.B[4]],
          [TREE.A, EXPECTED.A[4]],
        ]),
      );
    } finally {
      await repo.close();
    }
  });
});
