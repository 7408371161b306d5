// The team index's queries across machines (src/team/read/team-index.ts over
// src/rollout/index/postgres/multi-home.ts), checked against the SQLite index of each home.
import { cp } from 'node:fs/promises';
import { expect, it } from 'vitest';
import type { IndexQuery, UsageAggregate } from '../../src/rollout/index/metadata-index.js';
import type { IndexStore, StoredFile } from '../../src/rollout/index/store.js';
import { parseSearchQuery, fold } from '../../src/rollout/search/match.js';
import { offsetIntervals } from '../../src/rollout/usage/time-buckets.js';
import { TeamIndex, type MachineRow } from '../../src/team/read/team-index.js';
import { REAL_HOME, tempHome } from '../helper.js';
import { describePg } from './pg.js';
import { generatedHome } from './pushed-homes.js';
import { pushOnce, pushedUpkeep, sqliteStoreOf } from './pushed-index-helper.js';
import { startTeam } from './team-helper.js';

type Page = Omit<IndexQuery, 'after'>;

const page = (over: Partial<Page> = {}): Page => ({
  sort: 'created',
  order: 'desc',
  archived: 'false',
  includeEmpty: false,
  filter: {},
  nameMatchIds: [],
  limit: 1000,
  ...over,
});

const VARIANTS: Page[] = [
  page(),
  page({ sort: 'updated', order: 'asc', archived: 'all' }),
  page({ archived: 'true', includeEmpty: true }),
  page({ sort: 'updated', includeEmpty: true, filter: { q: 'test' }, archived: 'all' }),
];

const brief = (r: StoredFile & { machine?: string }) => `${r.machine ?? ''} ${r.relPath} ${r.id}`;

/** Rows of several homes in list order, ties broken by machine: what a page across machines must be. */
function merged(q: Page, perMachine: [string, StoredFile[]][]): string[] {
  const all = perMachine.flatMap(([machine, rows]) => rows.map((r) => ({ ...r, machine })));
  const sign = q.order === 'desc' ? -1 : 1;
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  all.sort((a, b) => sign * ((q.sort === 'updated' ? cmp(a.mtimeMs, b.mtimeMs) : 0) || cmp(a.key, b.key) || cmp(a.machine, b.machine)));
  return all.map(brief);
}

describePg('the team index across machines', () => {
  it('answers pages, search, usage and ids across machines as each home answers alone', async () => {
    const team = await startTeam();
    const real = await tempHome();
    await cp(REAL_HOME, real, { recursive: true });
    const generated = await generatedHome();
    // carol pushed the same home as alice: every id of it is on two machines.
    await pushOnce(team, await team.token('push', 'alice'), real);
    await pushOnce(team, await team.token('push', 'bob'), generated);
    await pushOnce(team, await team.token('push', 'carol'), real);
    await pushedUpkeep(team).upkeep.run(true, true);
    const index = new TeamIndex(team.db);
    expect(await index.machines()).toEqual(['alice', 'bob', 'carol']);
    const realStore = (await sqliteStoreOf(real)).store;
    const stores: [string, IndexStore][] = [['alice', realStore], ['bob', (await sqliteStoreOf(generated)).store], ['carol', realStore]];

    for (const q of VARIANTS) {
      const alone: [string, StoredFile[]][] = [];
      for (const [machine, store] of stores) {
        const expected = await store.query(q);
        alone.push([machine, expected]);
        expect((await index.query({ ...q, machines: [machine] })).map(brief)).toEqual(expected.map((r) => brief({ ...r, machine })));
      }
      const all = await index.query({ ...q, machines: null });
      expect(all.map(brief)).toEqual(merged(q, alone));
      expect(all.length).toBeGreaterThan(0);
      // Page by page with cursors (the machine breaks ties), the same rows.
      const walked: MachineRow[] = [];
      for (let after: MachineRow | undefined; ; ) {
        const rows = await index.query({ ...q, limit: 7, machines: null, after });
        walked.push(...rows);
        if (rows.length < 7) break;
        after = rows[rows.length - 1];
      }
      expect(walked.map(brief)).toEqual(all.map(brief));
      expect((await index.query({ ...q, machines: ['bob', 'carol'] })).map(brief)).toEqual(merged(q, alone.slice(1)));
    }

    // Search: the hits of every machine are those of its home alone.
    for (const needle of ['test', 'error', 'the function']) {
      const search = parseSearchQuery(needle, 'phrase', 'all');
      type Docs = (r: { machine: string; relPath: string }) => Promise<{ line: number; text: string }[] | null>;
      const hits = async (rows: (StoredFile & { machine: string })[], docs: Docs) => {
        const out: string[] = [];
        for (const r of rows) {
          const found = ((await docs(r)) ?? []).filter((d) => fold(d.text).includes(fold(needle)));
          if (found.length > 0) out.push(`${brief(r)} ${found.map((d) => d.line).join(',')}`);
        }
        return out;
      };
      const q = page({ archived: 'all' });
      const rows = await index.query({ ...q, machines: null }, index.searchFilter(search));
      const got = await hits(rows, (r) => index.currentDocuments(r.machine, r.relPath, () => true, search, 0));
      const alone: [string, StoredFile[]][] = [];
      const expected: string[] = [];
      for (const [machine, store] of stores) {
        const rows = await store.query(q, await store.searchFilter(search, 20));
        alone.push([machine, rows]);
        expected.push(...(await hits(rows.map((r) => ({ ...r, machine })), (r) => store.documents(r.relPath, search, 0))));
      }
      const order = merged(q, alone);
      const rank = (s: string) => order.indexOf(s.split(' ').slice(0, 3).join(' '));
      expect(got).toEqual(expected.sort((a, b) => rank(a) - rank(b)));
      if (needle === 'test') expect(got.length).toBeGreaterThan(0);
    }

    // Usage: per machine what its home alone counts; groupBy=machine and the machines filter.
    const span = (await index.usageTimeRange(null))!;
    const offsets = offsetIntervals('UTC', span.minMs, span.maxMs);
    const base = { offsets, archived: 'all' as const, filter: {} };
    type Tokens = UsageAggregate['tokens'];
    const totals = (tokens: Tokens) => {
      const byModel = new Map<string, number[]>();
      for (const t of tokens) {
        const sum = byModel.get(t.model) ?? [0, 0, 0, 0];
        [t.inputTokens, t.cachedInputTokens, t.outputTokens, t.reasoningOutputTokens].forEach((n, i) => (sum[i]! += n));
        byModel.set(t.model, sum);
      }
      return [...byModel].sort();
    };
    const byMachine = await index.aggregateUsage({ ...base, machines: null, groupBy: 'machine' });
    let everyModel: Tokens = [];
    for (const [machine, store] of stores) {
      const alone = await store.aggregateUsage({ ...base, groupBy: 'source' });
      expect(totals(byMachine.tokens.filter((t) => t.bucket === machine))).toEqual(totals(alone.tokens));
      expect(byMachine.sessions.find((s) => s.bucket === machine)?.n).toBe(alone.sessions.reduce((n, s) => n + s.n, 0));
      everyModel = [...everyModel, ...alone.tokens];
      const one = await index.aggregateUsage({ ...base, machines: [machine], groupBy: 'day' });
      const aloneDay = await store.aggregateUsage({ ...base, groupBy: 'day' });
      const key = (t: { bucket: unknown; model: string }) => `${String(t.bucket)} ${t.model}`;
      expect(one.tokens.map(key).sort()).toEqual(aloneDay.tokens.map(key).sort());
    }
    expect(totals((await index.aggregateUsage({ ...base, machines: null, groupBy: 'model' })).tokens)).toEqual(totals(everyModel));
    expect(everyModel.length).toBeGreaterThan(0);

    // An id on two machines: byId names both (the route's 409 AMBIGUOUS_ID), and one when narrowed.
    const id = (await realStore.query(page()))[0]!.id;
    expect((await index.byId(id)).map((r) => r.machine)).toEqual(['alice', 'carol']);
    expect((await index.byId(id, ['carol'])).map((r) => r.machine)).toEqual(['carol']);
    expect(await index.byId('00000000-0000-0000-0000-000000000000')).toEqual([]);
  });
});
