import type { Config } from '../../config.js';
import { MemoryBudget } from '../../rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS } from '../../rollout/reading/session-reader.js';
import type { RolloutLogger } from '../../rollout/types.js';
import { PriceBook } from '../../rollout/usage/pricing.js';
import { migrate } from '../db/migrations.js';
import { openPool } from '../db/pool.js';
import { TeamIndex } from './team-index.js';
import { TeamRepository } from './team-repository.js';

/**
 * The team's sessions read without a server (`codex-sessions mcp --database-url`): the read side of
 * an instance, with the database's own credentials standing for a `read` token. It indexes nothing:
 * the instances keep the index (docs/team.md, "Indexing pushed files"). The schema is migrated, or a
 * newer one refused, as by every command that touches the database.
 */
export async function openTeamReader(config: Config & { databaseUrl: string }, log: RolloutLogger) {
  const pool = openPool(config.databaseUrl, { onIdleError: (err) => log.warn({ err }, 'a database connection failed') });
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const repository = new TeamRepository({
    pool,
    index: new TeamIndex(pool),
    memory: new MemoryBudget(config.memoryBudgetBytes, config.memoryWaitMs),
    limits: DEFAULT_READ_LIMITS,
    prices: new PriceBook(config.pricing),
    maxScanFiles: config.maxScanFiles,
    log,
  });
  return { repository, close: () => pool.end() };
}
