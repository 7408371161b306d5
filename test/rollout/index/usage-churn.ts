// The scenario of both index stores' usage rollup tests (SQLite: usage-rollup.test.ts; PostgreSQL:
// test/team/pg-usage-rollup.test.ts): the one place that says what "files come, grow, fork, lose
// their parent and go" is.
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RolloutRepository } from '../../../src/rollout/repository.js';
import { TREE, writeUsageTree, type TreeSession } from '../../http/usage-tree.js';
import { eventually } from '../../net.js';

/** After the first files (`paths`, indexed): a fork's parent comes, A grows, the parent and F go; `check` after each step. */
export async function churnUsageTree(
  home: string,
  paths: Record<TreeSession, string>,
  repo: RolloutRepository,
  check: () => Promise<void>,
): Promise<void> {
  const parent = await writeUsageTree(home, ['P']); // the fork's responses go back to their parent
  await repo.usage({ groupBy: 'session', tz: 'UTC', archived: 'all', limit: 100 }); // the index catches up
  await check();
  const line = { timestamp: '2025-10-07T10:00:00.000Z', type: 'event_msg', payload: { type: 'token_count', info: null } };
  await appendFile(join(home, paths.A), `${JSON.stringify(line)}\n`);
  await check();
  const bySession = { groupBy: 'session', tz: 'UTC', archived: 'all', limit: 100 } as const;
  const sessions = async () => (await repo.usage(bySession)).rows.map((r) => r.key);
  await rm(join(home, parent.P)); // the fork counts them again
  await eventually(sessions, (keys) => !keys.includes(TREE.P), 10_000);
  await check();
  await rm(join(home, paths.F));
  await eventually(sessions, (keys) => !keys.includes(TREE.F), 10_000);
  await check();
}
