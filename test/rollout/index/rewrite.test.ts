import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import type { SearchRequest } from '../../../src/rollout/search/search-pages.js';
import { envelopeLines, tempHome, uuidN, type Line } from '../../helper.js';
import { eventually } from '../../net.js';
import { tokenCount, u } from '../../usage-lines.js';

const ID = uuidN(1);
const STAMP = '2025-01-01T00-00-00';
const REL = `sessions/2025/01/01/rollout-${STAMP}-${ID}.jsonl`;

/** A session whose assistant said `said` and whose one response used `tokens` input tokens. */
function session(said: string, tokens: number): string {
  const lines: Line[] = [
    ...envelopeLines({ stamp: STAMP, id: ID, title: 'hello' }),
    {
      timestamp: '2025-01-01T00:00:01Z',
      type: 'response_item',
      payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: said }] },
    },
    tokenCount('2025-01-01T00:00:02Z', u(tokens, 0, 100, 0), u(tokens, 0, 100, 0)),
  ];
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

const SEARCH: SearchRequest = { match: 'phrase', scope: 'all', matches: 3, limit: 10, order: 'desc', archived: 'all', includeEmpty: true };

function repository(home: string, path: string) {
  const repo = new RolloutRepository({
    codexHome: home,
    maxScanFiles: 1000,
    log: pino({ level: 'silent' }),
    index: sqliteIndex({ path, verifyDelayMs: 0 }),
  });
  repo.start();
  return repo;
}

const found = async (repo: RolloutRepository, q: string) => (await repo.search({ ...SEARCH, q })).items.map((i) => i.id);
const total = async (repo: RolloutRepository) =>
  (await repo.usage({ groupBy: 'session', tz: 'UTC', archived: 'all', limit: 10 })).totals.totalTokens;

describe('a session rewritten in place that grows (issue 17.1)', () => {
  it('is read again, not taken for an append: search and usage follow the new text, also after a restart', async () => {
    const home = await tempHome();
    const path = join(await tempHome(), 'index.sqlite');
    const file = join(home, REL);
    await mkdir(join(home, 'sessions/2025/01/01'), { recursive: true });
    await writeFile(file, session('the key is LEAKEDKEY-123', 200));
    let repo = repository(home, path);
    try {
      await repo.indexIdle();
      expect(repo.indexProgress().complete).toBe(true);
      expect(await found(repo, 'LEAKEDKEY')).toEqual([ID]);
      expect(await total(repo)).toBe(300);
      // The user removes the key in place (same inode; the file grows by a few bytes), and the count changes.
      await writeFile(file, session('the key is [removed by the user]', 999_200));
      expect(await eventually(() => found(repo, 'LEAKEDKEY'), (ids) => ids.length === 0, 10_000)).toEqual([]);
      expect(await found(repo, 'removed by the user')).toEqual([ID]);
      expect(await eventually(() => total(repo), (n) => n === 999_300, 10_000)).toBe(999_300);
      await repo.close();

      // While the service is down, it happens again: the restart's verification pass sees it.
      await writeFile(file, session('the key is [removed by the user again]', 41_900));
      repo = repository(home, path);
      await repo.indexIdle();
      expect(repo.indexProgress().complete).toBe(true);
      expect(await found(repo, 'removed by the user again')).toEqual([ID]);
      expect(await found(repo, 'LEAKEDKEY')).toEqual([]);
      expect(await total(repo)).toBe(42_000);
    } finally {
      await repo.close();
    }
  });

  it('still takes a true append from where it stopped', async () => {
    const home = await tempHome();
    const path = join(await tempHome(), 'index.sqlite');
    await mkdir(join(home, 'sessions/2025/01/01'), { recursive: true });
    await writeFile(join(home, REL), session('first words', 200));
    const repo = repository(home, path);
    try {
      await repo.indexIdle();
      const more = tokenCount('2025-01-01T00:00:03Z', u(700, 0, 200, 0), u(500, 0, 100, 0));
      await appendFile(join(home, REL), `${JSON.stringify(more)}\n`);
      expect(await eventually(() => total(repo), (n) => n === 900, 10_000)).toBe(900);
      expect(await found(repo, 'first words')).toEqual([ID]);
    } finally {
      await repo.close();
    }
  });
});
