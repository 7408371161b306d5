import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import { usageAnswers } from '../../../src/rollout/index/sqlite/usage-mirror.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import { writeUsageTree } from '../../http/usage-tree.js';
import { tempHome } from '../../helper.js';

describe('the usage mirror after an index pass', () => {
  it('is read when the pass completes, so that the first GET /usage is answered from it, not by SQL', async () => {
    const home = await tempHome();
    await writeUsageTree(home);
    const index = sqliteIndex({ path: join(await tempHome(), 'index.sqlite') });
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log: pino({ level: 'silent' }), index });
    repo.start();
    await repo.indexIdle();
    try {
      const before = { ...usageAnswers };
      const report = await repo.usage({ groupBy: 'day', tz: 'UTC', archived: 'all', limit: 100 });
      expect(report.rows.length).toBeGreaterThan(0);
      expect(usageAnswers.sql - before.sql).toBe(0);
      expect(usageAnswers.mirror - before.mirror).toBeGreaterThan(0);
    } finally {
      await repo.close();
    }
  });
});
