// A large pushed file is read beside the groups of small ones from the first page of a catch-up,
// not when the page of its change number comes (docs/team.md, "Indexing pushed files").
import type { QueryConfig } from 'pg';
import { expect, it } from 'vitest';
import { PgBackend } from '../../src/rollout/index/postgres/backend.js';
import { pushedHome } from '../../src/team/read/home.js';
import { envelopeLines, writeSession } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { generatedHome } from './pushed-homes.js';
import { digest, pgTitles, pushOnce, pushedUpkeep, sqliteStoreOf } from './pushed-index-helper.js';
import { startTeam } from './team-helper.js';

const UPKEEP_LOCK = 0x63735f69;

/** The statements that read one file: its freshness looked up, its first slices, its later slices. */
const READS_OF_ONE_FILE = new Set(['cs-pushed-stale-one', 'cs-chunk-first-slices', 'cs-chunk-slice-of']);

describePg('a large pushed file', () => {
  it('is read from the first page of a catch-up although its change number is the last, and indexed as SQLite indexes it', async () => {
    const team = await startTeam();
    const home = await generatedHome();
    // Its path sorts after every other, so the agent pushes it last: the highest change number.
    const id = v7At('2025-03-09T10:00:00Z', 9);
    const stamp = '2025-03-09T10-00-00';
    const said = Array.from({ length: 1500 }, (_, i) => ({
      timestamp: '2025-03-09T10:00:01Z',
      type: 'event_msg',
      payload: { type: 'agent_message', message: `large needle-${i} ${'lorem ipsum dolor sit amet '.repeat(4)}` },
    }));
    const spec = { stamp, id, title: 'the large one' };
    const rel = await writeSession(home, spec, [...envelopeLines(spec), ...said]);
    // Pushed while the server's own catch-up cannot run (the lock held here), then the server stops: nothing is indexed yet.
    const holder = await team.db.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [UPKEEP_LOCK]);
      await pushOnce(team, await team.token('push', 'bob'), home);
      await team.app.close();
      await holder.query('SELECT pg_advisory_unlock($1)', [UPKEEP_LOCK]);
    } finally {
      holder.release();
    }
    const { rows } = await team.db.query<{ id: string; size: number; most: number }>(
      `SELECT id::text AS id, size::int AS size,
              (SELECT max(size)::int FROM cs_files WHERE machine = 'bob' AND path <> $1) AS most
         FROM cs_files WHERE machine = 'bob' AND path = $1`,
      [rel],
    );
    const large = rows[0]!;
    expect(large.size).toBeGreaterThan(4 * large.most);

    // Pages of 2 of the 7 pushed rollouts: the large file's change number is on the fourth.
    const { upkeep, pool } = pushedUpkeep(team, { pageSize: 2, largeFileBytes: large.most + 1 });
    const order: string[] = [];
    const query = pool.query.bind(pool);
    pool.query = ((config: QueryConfig, ...rest: unknown[]) => {
      const touches = (config.values ?? []).some((v) => v === large.id || (Array.isArray(v) && v.includes(large.id)));
      if (config.name === 'cs-pushed-stale-rows') order.push('page');
      else if (READS_OF_ONE_FILE.has(config.name ?? '') && touches) order.push('large');
      return (query as (...args: unknown[]) => unknown)(config, ...rest);
    }) as typeof pool.query;
    expect(await upkeep.run(true, true)).toBe(true);
    // Its read began while the first page was read: before the second page was asked for.
    expect(order.indexOf('large')).toBeGreaterThan(-1);
    expect(order.indexOf('large')).toBeLessThan(order.indexOf('page', order.indexOf('page') + 1));
    expect(order.filter((s) => s === 'page')).toHaveLength(4);

    // Read once (its own page found it queued at that length already), and as SQLite indexes it.
    const sqlite = await sqliteStoreOf(home);
    const pg = await new PgBackend(team.db).open(pushedHome('bob'), false);
    expect(await pgTitles(team.db, pushedHome('bob'))).toEqual(sqlite.titles());
    expect(await digest(pg)).toEqual(await digest(sqlite.store));
    const docs = await team.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cs_index_docs d JOIN cs_index_files f USING (fid)
        WHERE f.rel_path = $1 AND d.text LIKE 'large needle-%'`,
      [rel],
    );
    expect(docs.rows[0]!.n).toBe(1500);
    const before = upkeep.updated;
    await upkeep.run(true, true);
    expect(upkeep.updated).toBe(before);
  });
});
