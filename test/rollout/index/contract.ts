import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../net.js';
import type { IndexFactory } from '../../../src/rollout/index/metadata-index.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import type { ListQuery } from '../../../src/rollout/types.js';
import { tempHome, uuidN, writeLines, writeSession, type SessionSpec } from '../../helper.js';
import { EXPECTED, TREE, writeUsageTree } from '../../http/usage-tree.js';

/**
 * The contract every candidate source must keep: the tree walk (no index) and each index
 * backend give the same, exactly right, pages and lookups. A backend is an IndexFactory, the
 * way the repository takes one, so a future PostgreSQL index runs this suite unchanged:
 *
 *   describeCandidateSourceContract('postgres', async () => postgresIndex({ url: await freshDatabase() }));
 *
 * `makeIndex` is called once per test; null means the scan (no index at all).
 */
export function describeCandidateSourceContract(name: string, makeIndex: () => Promise<IndexFactory | null>): void {
  const SPECS: SessionSpec[] = [
    { stamp: '2025-03-01T10-00-00', id: uuidN(1), title: 'alpha parser', cwd: '/home/u/a', source: 'cli',
      mtime: new Date('2025-03-05T00:00:00Z') },
    { stamp: '2025-03-01T10-00-00', id: uuidN(2), title: 'beta docs', cwd: '/home/u/a/', source: 'exec',
      mtime: new Date('2025-03-02T00:00:00Z') },
    { stamp: '2025-03-02T09-30-00', id: uuidN(3), title: 'Gamma PARSER', cwd: '/home/u/b', source: 'vscode', provider: 'azure',
      mtime: new Date('2025-03-05T00:00:00Z') },
    { stamp: '2025-03-03T23-59-59', id: uuidN(4), title: null, cwd: '/home/u/a', source: 'cli', mtime: new Date('2025-03-04T00:00:00Z') },
    { stamp: '2025-03-04T00-00-01', id: uuidN(5), title: 'delta', cwd: '/home/u/c', source: { subagent: 'review' }, provider: null,
      mtime: new Date('2025-03-06T00:00:00Z') },
    { stamp: '2025-03-04T08-00-00', id: uuidN(6), title: 'archived epsilon', cwd: '/home/u/a', archived: true,
      mtime: new Date('2025-03-07T00:00:00Z') },
    // The same file name active and archived: listed once, from sessions/, with archived=all.
    { stamp: '2025-03-02T09-30-00', id: uuidN(3), title: 'Gamma PARSER', cwd: '/home/u/b', archived: true,
      mtime: new Date('2025-03-08T00:00:00Z') },
  ];
  const NAMES = [{ id: uuidN(2), thread_name: 'My Parser Notes', updated_at: '2025-03-09T00:00:00Z' }];

  async function setup() {
    const home = await tempHome();
    for (const spec of SPECS) await writeSession(home, spec);
    await writeLines(join(home, 'session_index.jsonl'), NAMES);
    // Not sessions: garbage in a rollout name, and a rollout without a session meta.
    await writeLines(join(home, 'sessions/2025/03/02/rollout-2025-03-02T00-00-00-' + uuidN(90) + '.jsonl'), ['not json']);
    const noMeta = [{ type: 'event_msg', payload: {} }];
    await writeLines(join(home, 'sessions/2025/03/02/rollout-2025-03-02T00-00-01-' + uuidN(91) + '.jsonl'), noMeta);
    const factory = await makeIndex();
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log: pino({ level: 'silent' }), index: factory });
    repo.start();
    await repo.indexIdle();
    if (factory !== null) expect(repo.indexProgress().complete).toBe(true);
    return { home, repo, close: () => repo.close() };
  }

  const base: ListQuery = { limit: 25, head: 0, tail: 0, order: 'desc', archived: 'false', includeEmpty: false };

  /** Every item of every page of `query`, paging `limit` at a time: ids in order. */
  async function allIds(repo: RolloutRepository, query: Partial<ListQuery>, limit = 2): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const page = await repo.listPage({ ...base, ...query, limit, cursor });
      ids.push(...page.items.map((i) => i.id));
      if (page.nextCursor === null) return ids;
      cursor = page.nextCursor;
    }
    throw new Error('paging did not end');
  }

  describe(`candidate source contract: ${name}`, () => {
    it('orders by creation and by update, both directions, ties by uuid, every item once', async () => {
      const { repo, close } = await setup();
      try {
        const created = [uuidN(5), uuidN(3), uuidN(2), uuidN(1)];
        expect(await allIds(repo, {})).toEqual(created);
        expect(await allIds(repo, { order: 'asc' })).toEqual([...created].reverse());
        // mtimes: 5 → 03-06; 1 and 3 → 03-05 (tie: key order); 2 → 03-02.
        const updated = [uuidN(5), uuidN(3), uuidN(1), uuidN(2)];
        expect(await allIds(repo, { sort: 'updated' })).toEqual(updated);
        expect(await allIds(repo, { sort: 'updated', order: 'asc' })).toEqual([...updated].reverse());
        for (const limit of [1, 3, 10]) expect(await allIds(repo, { sort: 'updated' }, limit)).toEqual(updated);
      } finally {
        await close();
      }
    });

    it('applies every filter exactly', async () => {
      const { repo, close } = await setup();
      try {
        expect(await allIds(repo, { cwd: ['/home/u/a'] })).toEqual([uuidN(2), uuidN(1)]);
        expect(await allIds(repo, { source: ['interactive'] })).toEqual([uuidN(3), uuidN(1)]);
        expect(await allIds(repo, { source: ['subagent', 'exec'] })).toEqual([uuidN(5), uuidN(2)]);
        expect(await allIds(repo, { provider: ['openai'] })).toEqual([uuidN(5), uuidN(2), uuidN(1)]);
        expect(await allIds(repo, { since: '2025-03-02', until: '2025-03-03' })).toEqual([uuidN(3)]);
        expect(await allIds(repo, { sort: 'updated', since: '2025-03-05T00:00:00Z' })).toEqual([uuidN(5), uuidN(3), uuidN(1)]);
        // q: the title or the user-set name, case-insensitively.
        expect(await allIds(repo, { q: 'PARSER' })).toEqual([uuidN(3), uuidN(2), uuidN(1)]);
        expect(await allIds(repo, { q: 'parser', cwd: ['/home/u/b'], sort: 'updated' })).toEqual([uuidN(3)]);
      } finally {
        await close();
      }
    });

    it('selects roots, hides an archived copy of an active name, and lists empty sessions on request', async () => {
      const { repo, close } = await setup();
      try {
        expect(await allIds(repo, { archived: 'true', cwd: ['/home/u/a', '/home/u/b'] })).toEqual([uuidN(6), uuidN(3)]);
        const all = await allIds(repo, { archived: 'all', sort: 'updated' });
        expect(all).toEqual([uuidN(6), uuidN(5), uuidN(3), uuidN(1), uuidN(2)]);
        const page = await repo.listPage({ ...base, archived: 'all', q: 'gamma' });
        expect(page.items.map((i) => [i.id, i.archived])).toEqual([[uuidN(3), false]]);
        expect(await allIds(repo, { includeEmpty: true, cwd: ['/home/u/a'] })).toEqual([uuidN(4), uuidN(2), uuidN(1)]);
      } finally {
        await close();
      }
    });

    it('follows changes to the tree: a grown title, a new session, a removed one', async () => {
      const { home, repo, close } = await setup();
      try {
        const mtime = new Date('2025-03-10T00:00:00Z');
        await writeSession(home, { stamp: '2025-03-04T09-00-00', id: uuidN(7), title: 'zeta parser', cwd: '/home/u/a', mtime });
        await rm(join(home, 'sessions/2025/03/01', `rollout-${SPECS[0]!.stamp}-${uuidN(1)}.jsonl`));
        // At once, whether or not the index has seen these yet: a stale record is refreshed, and
        // the newest day directory is looked at before every index query.
        expect(await allIds(repo, { cwd: ['/home/u/a'] })).toEqual([uuidN(7), uuidN(2)]);
        // A session in an older day that gets its first user message: once the change is seen
        // (the index's watches take it within about 50 ms).
        const empty = SPECS[3]!;
        const later = { timestamp: '2025-03-03T23:59:59Z', type: 'event_msg', payload: { type: 'user_message', message: 'typed later' } };
        await appendFile(join(home, 'sessions/2025/03/03', `rollout-${empty.stamp}-${empty.id}.jsonl`), `${JSON.stringify(later)}\n`);
        const expected = [uuidN(7), uuidN(4), uuidN(2)];
        const seen = await eventually(() => allIds(repo, { cwd: ['/home/u/a'] }), (ids) => ids.join() === expected.join(), 10_000);
        expect(seen).toEqual(expected);
        expect(await allIds(repo, { q: 'typed later' })).toEqual([uuidN(4)]);
        // The append made 4 the most recently updated.
        expect(await allIds(repo, { cwd: ['/home/u/a'], sort: 'updated', order: 'asc' })).toEqual([uuidN(2), uuidN(7), uuidN(4)]);
      } finally {
        await close();
      }
    });

    it('finds a session by id in either root, and reports two files for one id', async () => {
      const { home, repo, close } = await setup();
      try {
        expect((await repo.findById(uuidN(6).toUpperCase())).relPath).toMatch(/^archived_sessions\//);
        expect((await repo.findById(uuidN(1))).relPath).toBe(`sessions/2025/03/01/rollout-2025-03-01T10-00-00-${uuidN(1)}.jsonl`);
        await expect(repo.findById(uuidN(3))).rejects.toMatchObject({ kind: 'AmbiguousId' });
        await expect(repo.findById(uuidN(99))).rejects.toMatchObject({ kind: 'NotFound' });
        await writeSession(home, { stamp: '2025-04-01T00-00-00', id: uuidN(8), title: 'new' });
        expect((await repo.findById(uuidN(8))).id).toBe(uuidN(8));
      } finally {
        await close();
      }
    });

    it('counts usage of the whole home by the rules: every grouping, a zone, filters, and a fork before and after its parent', async () => {
      const home = await tempHome();
      const paths = await writeUsageTree(home, ['A', 'B', 'F', 'N', 'R']);
      const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log: pino({ level: 'silent' }), index: await makeIndex() });
      repo.start();
      await repo.indexIdle();
      const request = { groupBy: 'session', tz: 'UTC', archived: 'all', limit: 100 } as const;
      const bySession = async () => new Map((await repo.usage(request)).rows.map((r) => [r.key, r.totalTokens]));
      try {
        // Without its parent, the fork counts what it carries (its own figure plus the parent's 3,300).
        expect(await bySession()).toEqual(
          new Map([
            [TREE.R, EXPECTED.R[4]],
            [TREE.B, EXPECTED.B[4]],
            [TREE.F, EXPECTED.F[4] + EXPECTED.P[4]],
            [TREE.N, EXPECTED.N[4]],
            [TREE.A, EXPECTED.A[4]],
          ]),
        );
        const days = await repo.usage({ ...request, groupBy: 'day', tz: 'Asia/Tokyo', archived: 'false', cwd: ['/home/u/other/'] });
        expect(days.rows.map((r) => [r.key, r.totalTokens, r.sessions])).toEqual([['2025-10-06', EXPECTED.N[4], 1]]);
        // The parent appears: the responses it carries go back to it.
        const parent = await writeUsageTree(home, ['P']);
        await repo.indexIdle();
        const settled = await eventually(bySession, (m) => m.has(TREE.P), 10_000);
        expect([settled.get(TREE.P), settled.get(TREE.F)]).toEqual([EXPECTED.P[4], EXPECTED.F[4]]);
        expect(parent.P).toMatch(/^sessions\//);
        expect(paths.R).toMatch(/^archived_sessions\//);
      } finally {
        await repo.close();
      }
    });
  });
}
