// Indexing pushed homes (src/team/read): the real fixture home and a generated one pushed by the
// real agent, indexed from cs_chunks, answer what the SQLite index answers over the same home.
import { appendFile, cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PgBackend } from '../../src/rollout/index/postgres/backend.js';
import { pushedHome } from '../../src/team/read/home.js';
import { REAL_HOME, envelopeLines, tempHome } from '../helper.js';
import { tokenCount, turnContext, u, v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { generatedHome, jsonl } from './pushed-homes.js';
import { digest, pgTitles, pushOnce, pushedUpkeep, sqliteStoreOf } from './pushed-index-helper.js';
import { startTeam, type Team } from './team-helper.js';

async function pgStore(team: Team, machine: string) {
  return new PgBackend(team.db).open(pushedHome(machine), false);
}

/** The pushed home of `machine` answers exactly what the SQLite index of `home` answers. */
async function expectSameAnswers(team: Team, machine: string, home: string): Promise<void> {
  const sqlite = await sqliteStoreOf(home);
  const pg = await pgStore(team, machine);
  expect(await pgTitles(team.db, pushedHome(machine))).toEqual(sqlite.titles());
  const got = (await digest(pg)) as { span: unknown; hits: unknown[] };
  expect(got).toEqual(await digest(sqlite.store));
  // Not equal by being empty: both homes have usage and text to find.
  expect([got.span !== null, got.hits.length > 0]).toEqual([true, true]);
}

describePg('the index of pushed homes', () => {
  it('indexes the real home and a generated one as pushed: every answer equals the SQLite index of that home', async () => {
    const team = await startTeam();
    const real = await tempHome();
    await cp(REAL_HOME, real, { recursive: true });
    const generated = await generatedHome();
    await pushOnce(team, await team.token('push', 'alice'), real);
    await pushOnce(team, await team.token('push', 'bob'), generated);
    const { upkeep } = pushedUpkeep(team);
    expect(await upkeep.run(true, true)).toBe(true);
    const pg = await pgStore(team, 'alice');
    expect(await pg.complete()).toBe(true);
    expect((await pgTitles(team.db, pushedHome('alice'))).size).toBe(25);
    await expectSameAnswers(team, 'alice', real);
    await expectSameAnswers(team, 'bob', generated);
    // A second catch-up finds nothing stale: nothing is read again.
    const before = upkeep.updated;
    await upkeep.run(true, true);
    expect(upkeep.updated).toBe(before);
  });

  it('follows appends from the indexed offset, replacements, archive moves (as moves) and deletions', async () => {
    const team = await startTeam();
    const home = await generatedHome();
    const token = await team.token('push', 'bob');
    await pushOnce(team, token, home);
    const { upkeep } = pushedUpkeep(team);
    await upkeep.run(true, true);
    const fidOf = async (path: string) => {
      const sql = 'SELECT fid::text AS fid, content_offset::int AS o FROM cs_index_files WHERE home = $1 AND rel_path = $2';
      return (await team.db.query(sql, [pushedHome('bob'), path])).rows[0] as { fid: string; o: number } | undefined;
    };
    const docsOf = async (path: string) => {
      const sql = 'SELECT count(*)::int AS n FROM cs_index_docs d JOIN cs_index_files f USING (fid) WHERE f.rel_path = $1';
      return (await team.db.query(sql, [path])).rows[0].n as number;
    };
    const first = 'sessions/2025/03/01/' + `rollout-2025-03-01T10-00-00-${v7At('2025-03-01T10:00:00Z', 1)}.jsonl`;
    const before = (await fidOf(first))!;

    // An append: the row keeps its number and its content goes on from where it ended.
    const at = '2025-03-01T11:00:00Z';
    const said = { timestamp: at, type: 'event_msg', payload: { type: 'agent_message', message: 'appended needle-xyz' } };
    const more = [said, turnContext(at, 'gpt-5'), tokenCount(at, u(900, 10, 90, 5), u(800, 0, 70, 0))];
    await appendFile(join(home, first), jsonl(more));
    const docsBefore = await docsOf(first);
    await pushOnce(team, token, home);
    await upkeep.run(false, true);
    const after = (await fidOf(first))!;
    expect(after.fid).toBe(before.fid);
    expect(after.o).toBeGreaterThan(before.o);
    expect(await docsOf(first)).toBe(docsBefore + 1);
    await expectSameAnswers(team, 'bob', home);

    // A rewrite: the agent replaces the file (generation bumped); the row is read again from the start.
    const stamp = '2025-03-04T09-00-00';
    const resumed = `sessions/2025/03/04/rollout-${stamp}-${v7At('2025-03-01T10:00:00Z', 1)}.jsonl`;
    await writeFile(join(home, resumed), jsonl(envelopeLines({ stamp, id: v7At('2025-03-01T10:00:00Z', 1), title: 'rewritten title' })));
    await pushOnce(team, token, home);
    await upkeep.run(false, true);
    expect((await pgTitles(team.db, pushedHome('bob'))).get(resumed)).toBe('rewritten title');
    await expectSameAnswers(team, 'bob', home);

    // An archive move: the same row (same number) under the new path.
    const forkName = `rollout-2025-03-03T10-00-00-${v7At('2025-03-03T10:00:00Z', 3)}.jsonl`;
    const moved = (await fidOf(`sessions/2025/03/03/${forkName}`))!;
    await mkdir(join(home, 'archived_sessions'), { recursive: true });
    await rename(join(home, 'sessions/2025/03/03', forkName), join(home, 'archived_sessions', forkName));
    await pushOnce(team, token, home);
    await upkeep.run(false, true);
    expect(await fidOf(`sessions/2025/03/03/${forkName}`)).toBeUndefined();
    expect((await fidOf(`archived_sessions/${forkName}`))?.fid).toBe(moved.fid);
    await expectSameAnswers(team, 'bob', home);

    // A deletion leaves no change number: the full comparison finds it.
    await rm(join(home, first));
    await pushOnce(team, token, home);
    await upkeep.run(true, true);
    expect(await fidOf(first)).toBeUndefined();
    await expectSameAnswers(team, 'bob', home);
  });

  it('runs on one instance at a time: another holding the lock does the work', async () => {
    const team = await startTeam();
    const home = await generatedHome();
    await pushOnce(team, await team.token('push', 'bob'), home);
    const { upkeep, pool } = pushedUpkeep(team);
    const other = await pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [0x63735f69]);
      expect(await upkeep.run(true)).toBe(false);
      await other.query('SELECT pg_advisory_unlock($1)', [0x63735f69]);
    } finally {
      other.release();
    }
    expect(await upkeep.run(false, true)).toBe(true);
    expect((await pgTitles(team.db, pushedHome('bob'))).size).toBe(5);
  });

  it('is run by the team server: what is pushed is indexed, and the row of a deleted file goes with it', async () => {
    const team = await startTeam();
    const home = await generatedHome();
    const token = await team.token('push', 'bob');
    await pushOnce(team, token, home);
    const rows = async () => (await pgTitles(team.db, pushedHome('bob'))).size;
    await until(async () => (await rows()) === 5);
    await rm(join(home, 'sessions/2025/03/05'), { recursive: true });
    await pushOnce(team, token, home);
    await until(async () => (await rows()) === 4);
    await expectSameAnswers(team, 'bob', home);
  });
});

/** Polls `ok` (every 50 ms, at most 10 s). */
async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
