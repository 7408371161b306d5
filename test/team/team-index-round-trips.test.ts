import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { migrate } from '../../src/team/db/migrations.js';
import { openPool } from '../../src/team/db/pool.js';
import type { IndexQuery } from '../../src/rollout/listing/page-index.js';
import { parseSearchQuery } from '../../src/rollout/search/match.js';
import { pushedFile } from '../../src/team/read/pushed-file.js';
import { teamSearchIndex } from '../../src/team/read/team-adapters.js';
import { PushedOpens } from '../../src/team/read/team-files.js';
import { TeamIndex } from '../../src/team/read/team-index.js';
import { describePg, migratedDatabase } from './pg.js';

const pools: pg.Pool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.end();
});

describePg('the team index', () => {
  it('reads a page over every machine in one statement (the machines are not listed first)', async () => {
    const pool = openPool(await migratedDatabase(), { max: 2 });
    pools.push(pool);
    await migrate(pool);
    for (const [home, n] of [['pushed:bob', 1], ['pushed:carol', 2], ['local:other', 3]] as const) {
      await pool.query('INSERT INTO cs_index_homes (home) VALUES ($1)', [home]);
      await pool.query(
        `INSERT INTO cs_index_files (home, rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
           is_session, has_user_message, content_size) VALUES ($1, $2, $3, $4, false, 1, $5, 10, 0, 0, $6, true, true, 10)`,
        [home, `sessions/s${n}.jsonl`, `k${n}`, `id-${n}`, n, n],
      );
    }
    const index = new TeamIndex(pool);
    let statements = 0;
    const query = pool.query.bind(pool);
    pool.query = ((...args: Parameters<typeof query>) => {
      statements++;
      return query(...args);
    }) as typeof pool.query;
    const page = {
      sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter: {}, nameMatchIds: [] as string[], limit: 10,
    } as const;
    const rows = await index.query({ ...page, machines: null });
    expect(rows.map((r) => [r.machine, r.id])).toEqual([
      ['carol', 'id-2'],
      ['bob', 'id-1'],
    ]);
    expect(statements).toBe(1);
    expect((await index.query({ ...page, machines: ['bob'] })).map((r) => r.id)).toEqual(['id-1']);
  });

  it("reads a search batch's documents in one statement, not one per candidate", async () => {
    const pool = openPool(await migratedDatabase(), { max: 2 });
    pools.push(pool);
    await migrate(pool);
    await pool.query("INSERT INTO cs_index_homes (home) VALUES ('pushed:bob')");
    await pool.query(
      `INSERT INTO cs_index_files (home, rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
         is_session, has_user_message, content_size)
       SELECT 'pushed:bob', 'sessions/2025/01/01/rollout-2025-01-01T00-00-' || lpad(i::text, 2, '0') || '-' || id || '.jsonl',
              'k' || lpad(i::text, 3, '0'), id,
              false, 1, i, 10, 0, 0, i, true, true, 10
         FROM generate_series(1, 12) i, LATERAL (SELECT '0190aaaa-0000-7000-8000-' || lpad(i::text, 12, '0') AS id) x`,
    );
    await pool.query(
      `INSERT INTO cs_index_docs (fid, line, role, kind, text, folded)
       SELECT fid, g, 1, 'message', 'a needle ' || g, 'a needle ' || g FROM cs_index_files, generate_series(1, 3) g`,
    );
    let statements = 0;
    const query = pool.query.bind(pool);
    pool.query = ((...args: Parameters<typeof query>) => {
      statements++;
      return query(...args);
    }) as typeof pool.query;
    const search = parseSearchQuery('needle', 'phrase', 'all');
    const index = teamSearchIndex(new TeamIndex(pool), ['bob'], new PushedOpens(pool));
    const page: IndexQuery = {
      sort: 'created', order: 'desc', archived: 'all', includeEmpty: false, filter: {}, nameMatchIds: [], limit: 20,
    };
    const { candidates } = (await index.searchCandidates!(page, search))!;
    const docs: number[] = [];
    for await (const c of candidates) {
      const found = await index.searchDocuments(c.file, c.stamp!, search);
      docs.push([...(found ?? [])].length);
    }
    expect(docs).toEqual(Array(12).fill(3));
    // The needle's choice, the batch, its files' opening, its documents.
    expect(statements).toBe(4);
    // A file whose row is not as stamped gets null (the search reads the file instead).
    const [first] = await index.searchCandidates!(page, search).then(async (r) => {
      for await (const c of r!.candidates) return [c];
      return [];
    });
    expect(await index.searchDocuments(pushedFile('bob', first!.file.relPath)!, { ...first!.stamp!, size: 11 }, search)).toBeNull();
  });
});
