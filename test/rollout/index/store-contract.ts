import { describe, expect, it } from 'vitest';
import type { IndexQuery, UsageAggregate } from '../../../src/rollout/index/metadata-index.js';
import { initialContentState } from '../../../src/rollout/index/content-state.js';
import type { IndexEntry, IndexStore, StoredFile, WriteOp } from '../../../src/rollout/index/store.js';
import { parseFilter, normalizeCwd } from '../../../src/rollout/listing/filters.js';
import { fold, parseSearchQuery, type MatchMode, type SearchScope } from '../../../src/rollout/search/match.js';
import type { LocatedDoc } from '../../../src/rollout/search/session-matcher.js';
import type { RolloutFile, SessionSource, SessionSummary } from '../../../src/rollout/types.js';
import type { UsageResponse } from '../../../src/rollout/sources/codex/usage-counter.js';
import { GROUP_BY, type GroupBy } from '../../../src/rollout/usage/grouping.js';
import { bucketDay, DAY_MS, offsetIntervals } from '../../../src/rollout/usage/time-buckets.js';
import { rolloutRelPath, uuidN } from '../../helper.js';

/**
 * The contract of an IndexStore (src/rollout/index/store.ts), called directly, in the style of
 * undici's cacheStoreTests: every list filter (a non-ASCII `q` included, folded by search/match.ts
 * `fold`), both sorts and orders, cursors, search candidates and documents for every scope and
 * match mode, counts of list filters, usage for every groupBy, lookup, removal, growth, content resets, archive moves,
 * concurrent-writer safety, and "null only when you cannot answer". A backend runs it with one
 * line (store-contract.test.ts):
 *
 *   describeStoreContract('PostgreSQL', async () => { const db = await freshDatabase(); return (home) => pgStore(db, home); });
 *
 * Each case is a function of a store maker, so that a test can prove that every case fails for
 * a store that declines everything.
 */
export type StoreMaker = (home: string) => Promise<IndexStore>;

type FilterInput = Parameters<typeof parseFilter>[0];

/** Runs every case of the contract on stores from `newMaker` (a new maker per case: a fresh database). */
export function describeStoreContract(name: string, newMaker: () => Promise<StoreMaker>): void {
  describe(`index store contract: ${name}`, () => {
    for (const [title, run] of Object.entries(STORE_CONTRACT)) it(title, async () => run(await newMaker()));
  });
}

const HOME = 'contract-host:/home/u/.codex';
const DAY = (iso: string) => Date.parse(iso);

export interface Spec {
  n: number;
  stamp: string;
  title: string | null;
  cwd: string;
  source: SessionSource;
  provider: string;
  mtime: string;
  archived?: boolean;
}

const SPECS: Spec[] = [
  { n: 1, stamp: '2025-03-01T10-00-00', title: 'alpha parser', cwd: '/home/u/a', source: 'cli', provider: 'openai', mtime: '2025-03-05' },
  { n: 2, stamp: '2025-03-01T10-00-00', title: 'Überprüfung der ÄNDERUNG', cwd: '/home/u/a/', source: 'exec', provider: 'openai',
    mtime: '2025-03-02' },
  { n: 3, stamp: '2025-03-02T09-30-00', title: 'Привет МИР parser', cwd: '/home/u/b', source: 'vscode', provider: 'azure',
    mtime: '2025-03-05' },
  { n: 4, stamp: '2025-03-03T23-59-59', title: null, cwd: '/home/u/a', source: 'cli', provider: 'openai', mtime: '2025-03-04' },
  { n: 5, stamp: '2025-03-04T00-00-01', title: '日本語のテスト', cwd: '/home/u/c', source: 'subagent', provider: 'openai', mtime: '2025-03-06' },
  { n: 6, stamp: '2025-03-04T08-00-00', title: 'archived epsilon', cwd: '/home/u/a', source: 'cli', provider: 'openai', mtime: '2025-03-07',
    archived: true },
  // The same file name active and archived: listed once, from sessions/, with archived=all.
  { n: 3, stamp: '2025-03-02T09-30-00', title: 'Привет МИР parser', cwd: '/home/u/b', source: 'vscode', provider: 'azure',
    mtime: '2025-03-08', archived: true },
];

const fileOf = (stamp: string, n: number, archived = false): RolloutFile => {
  const relPath = rolloutRelPath(stamp, uuidN(n), archived);
  return { key: `${stamp}|${uuidN(n)}`, stamp, id: uuidN(n), absPath: `/home/u/.codex/${relPath}`, relPath, archived };
};

export function entryOf(spec: Spec, size = 1000): IndexEntry {
  const file = fileOf(spec.stamp, spec.n, spec.archived);
  const createdAt = `${spec.stamp.slice(0, 10)}T${spec.stamp.slice(11).replaceAll('-', ':')}Z`;
  const mtimeMs = DAY(`${spec.mtime}T00:00:00Z`);
  const summary = {
    id: file.id, path: file.relPath, createdAt, updatedAt: new Date(mtimeMs).toISOString(), sizeBytes: size, title: spec.title,
    name: null, cwd: spec.cwd, source: spec.source, originator: null, cliVersion: null, modelProvider: spec.provider, git: null,
    forkedFromId: null, archived: file.archived, usage: null,
  } satisfies SessionSummary;
  const stamp = { dev: 1, ino: 1000 + spec.n + (spec.archived ? 100 : 0), size, mtimeMs, ctimeMs: mtimeMs };
  return { file, stamp, session: { summary, hasUserMessage: spec.title !== null } };
}

const start = () => ({ offset: 0, lineNo: 1, state: initialContentState() });
const doc = (line: number, role: LocatedDoc['role'], text: string): LocatedDoc => ({ line, role, kind: 'message', timestamp: null, text });
const response = (n: number, lineNo: number, model: string, at: string, c: [number, number, number, number]): UsageResponse => ({
  responseKey: `#L${lineNo}`, threadId: uuidN(n), lineNo, at, model, turnId: null, source: 'token_count',
  inputTokens: c[0], cachedInputTokens: c[1], outputTokens: c[2], reasoningOutputTokens: c[3], totalTokens: c[0] + c[2],
});

const DOCS: Record<number, LocatedDoc[]> = {
  1: [doc(3, 'user', 'Please fix the PARSER bug'), doc(5, 'assistant', 'Done with parser'), doc(6, 'tool', 'grep parser output'),
    doc(7, 'reasoning', 'thinking about the fix')],
  2: [doc(3, 'user', 'Überprüfung der ÄNDERUNG bitte'), doc(4, 'tool', 'änderung applied')],
  3: [doc(3, 'user', 'Привет МИР')],
  5: [doc(3, 'user', '日本語のテスト')],
};
const RESPONSES: Record<number, UsageResponse[]> = {
  1: [response(1, 8, 'gpt-5', '2025-03-01T10:00:00Z', [100, 10, 20, 5]), response(1, 9, 'gpt-5', '2025-03-01T23:30:00Z', [100, 10, 20, 5])],
  3: [response(3, 4, 'o3', '2025-03-02T10:00:00Z', [1000, 0, 100, 50])],
  6: [response(6, 4, 'gpt-5', '2025-03-04T08:00:00Z', [7, 0, 3, 0])],
};

/** The whole fixture as one write: entries, a file that is not a session, and each session's content to its end. */
function fixture(): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const spec of SPECS) {
    const entry = entryOf(spec);
    ops.push({ kind: 'entry', entry, resetContent: start() });
    if (spec.archived && spec.n === 3) continue;
    const at = { offset: 1000, lineNo: 20, state: initialContentState() };
    const content = { docs: DOCS[spec.n] ?? [], responses: RESPONSES[spec.n] ?? [], hasRecords: false };
    const { relPath } = entry.file;
    if (spec.n !== 4) ops.push({ kind: 'content', relPath, from: 0, ...content, at, fingerprint: '1000:x', doneAtSize: 1000 });
  }
  const junk = fileOf('2025-03-02T00-00-00', 90);
  const stamp = { dev: 1, ino: 9, size: 8, mtimeMs: 0, ctimeMs: 0 };
  ops.push({ kind: 'entry', entry: { file: junk, stamp, session: null }, resetContent: null });
  return ops;
}

async function filled(make: StoreMaker): Promise<IndexStore> {
  const store = await make(HOME);
  await store.write(fixture());
  return store;
}

const BASE: IndexQuery = { sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter: {}, nameMatchIds: [], limit: 2 };

/** Every row of every page of `q`, `limit` at a time, following the position of the last row: ids (by number) in order. */
async function allIds(store: IndexStore, q: Partial<IndexQuery> & { input?: FilterInput }, limit = 2): Promise<number[]> {
  const { input, ...rest } = q;
  const query = { ...BASE, ...rest, filter: input ? parseFilter(input) : (rest.filter ?? {}), limit };
  const out: number[] = [];
  let after: IndexQuery['after'];
  for (let pages = 0; pages < 50; pages++) {
    const rows = await store.query({ ...query, after });
    out.push(...rows.map((r) => Number.parseInt(r.id.slice(-4), 16)));
    if (rows.length < limit) return out;
    const last = rows[rows.length - 1]!;
    after = { key: last.key, mtimeMs: last.mtimeMs };
  }
  throw new Error('paging did not end');
}

const search = (q: string, mode: MatchMode = 'phrase', scope: SearchScope = 'all') => parseSearchQuery(q, mode, scope);

/** Sessions (by number) that the store offers for a search, and that really hold a match in scope. */
async function searchIds(store: IndexStore, q: string, mode: MatchMode, scope: SearchScope): Promise<number[]> {
  const query = search(q, mode, scope);
  const filter = await store.searchFilter(query, 10);
  const rows = await store.query({ ...BASE, limit: 100, includeEmpty: true }, filter);
  const ids: number[] = [];
  for (const row of rows) {
    const docs = await store.documents(row.relPath, query, 0);
    const hit = docs?.some((d) => {
      const scoped = scope === 'all' || (scope === 'tools' ? d.role === 'tool' : d.role === 'user' || d.role === 'assistant');
      return scoped && query.needles.every((n) => fold(d.text).includes(n));
    });
    if (hit) ids.push(Number.parseInt(row.id.slice(-4), 16));
  }
  return ids;
}

type Case = (make: StoreMaker) => Promise<void>;

export const STORE_CONTRACT: Record<string, Case> = {
  'orders by creation and by update, both directions, ties by key, through cursors': async (make) => {
    const store = await filled(make);
    try {
      const created = [5, 3, 2, 1];
      expect(await allIds(store, {})).toEqual(created);
      expect(await allIds(store, { order: 'asc' })).toEqual([...created].reverse());
      const updated = [5, 3, 1, 2];
      expect(await allIds(store, { sort: 'updated' })).toEqual(updated);
      expect(await allIds(store, { sort: 'updated', order: 'asc' })).toEqual([...updated].reverse());
      for (const limit of [1, 3, 10]) expect(await allIds(store, { sort: 'updated' }, limit)).toEqual(updated);
    } finally {
      await store.close();
    }
  },

  'applies every filter exactly, q folded as fold() folds it, non-ASCII included': async (make) => {
    const store = await filled(make);
    try {
      expect(await allIds(store, { input: { cwd: ['/home/u/a'] } })).toEqual([2, 1]);
      expect(await allIds(store, { input: { source: ['interactive'] } })).toEqual([3, 1]);
      expect(await allIds(store, { input: { source: ['subagent', 'exec'] } })).toEqual([5, 2]);
      expect(await allIds(store, { input: { provider: ['openai'] } })).toEqual([5, 2, 1]);
      const since = DAY('2025-03-02T00:00:00Z');
      expect(await allIds(store, { filter: { sinceMs: since, untilMs: DAY('2025-03-03T00:00:00Z') - 1 } })).toEqual([3]);
      expect(await allIds(store, { sort: 'updated', filter: { sinceMs: DAY('2025-03-05T00:00:00Z') } })).toEqual([5, 3, 1]);
      expect(await allIds(store, { input: { q: 'PARSER' } })).toEqual([3, 1]);
      expect(await allIds(store, { input: { q: 'ÄNDERUNG' } })).toEqual([2]);
      expect(await allIds(store, { input: { q: 'überprüfung' } })).toEqual([2]);
      expect(await allIds(store, { input: { q: 'мир' } })).toEqual([3]);
      expect(await allIds(store, { input: { q: '本語' } })).toEqual([5]);
      expect(await allIds(store, { input: { q: 'parser', cwd: ['/home/u/b'] }, sort: 'updated' })).toEqual([3]);
      // Names live outside the index: the caller passes the ids whose name matches.
      expect(await allIds(store, { input: { q: 'my notes' }, nameMatchIds: [uuidN(2)] })).toEqual([2]);
      // The rule stated in store.ts: a title passes when it holds the folded needle.
      // Wildcards of SQL's LIKE and its escape are literal characters here.
      for (const q of ['a', 'É', 'Ü', 'ПРИВЕТ', 'テスト', '%', '_', 'p_rser', 'a%p', '\\']) {
        const expected = SPECS.filter((s) => !s.archived && s.title !== null && fold(s.title).includes(fold(q))).map((s) => s.n);
        expect((await allIds(store, { input: { q } })).sort()).toEqual([...new Set(expected)].sort());
      }
    } finally {
      await store.close();
    }
  },

  'counts what every filter lists (null before a full pass), non-ASCII q included': async (make) => {
    const store = await filled(make);
    try {
      expect(await store.countMatching(BASE)).toBeNull();
      await store.write([{ kind: 'complete' }]);
      const queries: (Partial<IndexQuery> & { input?: FilterInput })[] = [
        {}, { sort: 'updated', order: 'asc' }, { input: { cwd: ['/home/u/a'] } }, { input: { source: ['interactive'] } },
        { input: { source: ['subagent', 'exec'] } }, { input: { provider: ['openai'] } }, { input: { provider: ['azure'] } },
        { filter: { sinceMs: DAY('2025-03-02T00:00:00Z'), untilMs: DAY('2025-03-03T00:00:00Z') - 1 } },
        { sort: 'updated', filter: { sinceMs: DAY('2025-03-05T00:00:00Z') } }, { input: { q: 'PARSER' } }, { input: { q: 'überprüfung' } },
        { input: { q: 'мир' } }, { input: { q: '本語' } }, { input: { q: '%' } }, { input: { q: 'my notes' }, nameMatchIds: [uuidN(2)] },
        { input: { q: 'parser', cwd: ['/home/u/b'] }, sort: 'updated' }, { archived: 'true' }, { archived: 'all' },
        { archived: 'all', input: { q: 'привет' } }, { includeEmpty: true, input: { cwd: ['/home/u/a'] } },
        { input: { cwd: ['/nowhere'] } },
      ];
      for (const q of queries) {
        const { input, ...rest } = q;
        const counted = await store.countMatching({ ...BASE, ...rest, filter: input ? parseFilter(input) : (rest.filter ?? {}) });
        expect(counted, JSON.stringify(q)).toBe((await allIds(store, q)).length);
      }
      expect(await store.countMatching({ ...BASE, filter: parseFilter({ q: 'ПРИВЕТ' }) })).toBe(1);
      // A new session is counted as soon as it is written.
      const spec: Spec = {
        n: 7, stamp: '2025-03-05T00-00-00', title: 'new', cwd: '/home/u/a', source: 'cli', provider: 'openai', mtime: '2025-03-09',
      };
      await store.write([{ kind: 'entry', entry: entryOf(spec), resetContent: start() }]);
      expect(await store.countMatching(BASE)).toBe(5);
      // Counts asked again after each kind of change (a store may keep counts: SQLite's count-cache.ts).
      const recent = { ...BASE, sort: 'updated' as const, filter: { sinceMs: DAY('2025-03-09T00:00:00Z') } };
      expect(await store.countMatching(recent)).toBe(1);
      const { file, stamp } = entryOf(spec);
      await store.write([{ kind: 'grew', relPath: file.relPath, stamp: { ...stamp, size: 2000, mtimeMs: DAY('2025-03-01T00:00:00Z') } }]);
      expect(await store.countMatching(recent)).toBe(0);
      expect(await store.countMatching({ ...BASE, filter: parseFilter({ q: 'RENAMED' }) })).toBe(0);
      await store.write([{ kind: 'entry', entry: entryOf({ ...spec, title: 'renamed' }), resetContent: null }]);
      expect(await store.countMatching({ ...BASE, filter: parseFilter({ q: 'RENAMED' }) })).toBe(1);
      // Another connection to the same store (another process) removes it.
      expect(await store.countMatching(BASE)).toBe(5);
      const other = await make(HOME);
      try {
        await other.write([{ kind: 'delete', relPath: file.relPath }]);
      } finally {
        await other.close();
      }
      expect(await store.countMatching(BASE)).toBe(4);
      expect(await store.countMatching({ ...BASE, filter: parseFilter({ q: 'RENAMED' }) })).toBe(0);
    } finally {
      await store.close();
    }
  },

  'selects roots, hides an archived copy of an active name, and lists sessions without a title on request': async (make) => {
    const store = await filled(make);
    try {
      expect(await allIds(store, { archived: 'true', input: { cwd: ['/home/u/a', '/home/u/b'] } })).toEqual([6, 3]);
      expect(await allIds(store, { archived: 'all', sort: 'updated' })).toEqual([6, 5, 3, 1, 2]);
      const [row] = await store.query({ ...BASE, archived: 'all', filter: parseFilter({ q: 'привет' }), limit: 5 });
      expect(row?.archived).toBe(false);
      expect(await allIds(store, { includeEmpty: true, input: { cwd: ['/home/u/a'] } })).toEqual([4, 2, 1]);
    } finally {
      await store.close();
    }
  },

  'offers every session that matches a search, for every scope and match mode, with its documents in file order': async (make) => {
    const store = await filled(make);
    try {
      expect(await searchIds(store, 'parser', 'phrase', 'all')).toEqual([1]);
      expect(await searchIds(store, 'parser', 'phrase', 'tools')).toEqual([1]);
      expect(await searchIds(store, 'parser bug', 'phrase', 'messages')).toEqual([1]);
      expect(await searchIds(store, 'fix thinking', 'words', 'all')).toEqual([1]);
      expect(await searchIds(store, 'fix thinking', 'words', 'messages')).toEqual([]);
      expect(await searchIds(store, 'ÄNDERUNG', 'phrase', 'all')).toEqual([2]);
      expect(await searchIds(store, 'änderung applied', 'phrase', 'tools')).toEqual([2]);
      expect(await searchIds(store, 'мир', 'phrase', 'messages')).toEqual([3]);
      expect(await searchIds(store, '日本語', 'phrase', 'all')).toEqual([5]);
      expect(await searchIds(store, 'ab', 'phrase', 'all')).toEqual([1]); // shorter than a trigram ("about")
      const rel = fileOf(SPECS[0]!.stamp, 1).relPath;
      const docs = (await store.documents(rel, search('parser'), 0))!;
      expect(docs.filter((d) => fold(d.text).includes('parser')).map((d) => [d.line, d.role, d.text])).toEqual([
        [3, 'user', 'Please fix the PARSER bug'],
        [5, 'assistant', 'Done with parser'],
        [6, 'tool', 'grep parser output'],
      ]);
      expect((await store.documents(rel, search('parser'), 5))!.filter((d) => fold(d.text).includes('parser')).map((d) => d.line)).toEqual([
        5, 6,
      ]);
      // Null only when the store cannot answer: a session without documents answers none.
      expect(await store.documents(fileOf(SPECS[3]!.stamp, 4).relPath, search('parser'), 0)).toEqual([]);
      expect(await store.documents('sessions/2025/01/01/rollout-2025-01-01T00-00-00-unknown.jsonl', search('parser'), 0)).toBeNull();
    } finally {
      await store.close();
    }
  },

  'counts usage per file and for every groupBy, with the roots and filters of the list': async (make) => {
    const store = await filled(make);
    try {
      const rels = [1, 3, 4].map((n) => fileOf(SPECS.find((s) => s.n === n)!.stamp, n).relPath);
      const of = await store.usageOf(rels);
      const counts = (model: string, c: number[]) =>
        [{ model, inputTokens: c[0], cachedInputTokens: c[1], outputTokens: c[2], reasoningOutputTokens: c[3] }];
      expect(of.get(rels[0]!)?.map(codexFields)).toEqual(counts('gpt-5', [200, 20, 40, 10]));
      expect(of.get(rels[1]!)?.map(codexFields)).toEqual(counts('o3', [1000, 0, 100, 50]));
      expect(of.has(rels[2]!)).toBe(false); // its content was never indexed to an end
      const span = (await store.usageTimeRange())!;
      expect(span).toEqual({ minMs: DAY('2025-03-01T10:00:00Z'), maxMs: DAY('2025-03-04T08:00:00Z') });
      const offsets = offsetIntervals('UTC', span.minMs, span.maxMs);
      for (const groupBy of GROUP_BY) {
        for (const archived of ['false', 'all'] as const) {
          const got = await store.aggregateUsage({ groupBy, offsets, archived, filter: {} });
          expect(sorted(got)).toEqual(sorted(expectedUsage(groupBy, archived === 'all')));
        }
      }
      const a = await store.aggregateUsage({ groupBy: 'model', offsets, archived: 'all', filter: { cwd: [normalizeCwd('/home/u/a')] } });
      expect(sorted(a).tokens.map((t) => [t.model, t.inputTokens])).toEqual([['gpt-5', 207]]);
    } finally {
      await store.close();
    }
  },

  'keeps rows as files grow, are reset, move to the archive and go; looks them up by id': async (make) => {
    const store = await filled(make);
    try {
      expect(await store.complete()).toBe(false);
      expect(await store.count()).toBe(8);
      expect((await store.paths()).length).toBe(8);
      expect((await store.byId(uuidN(3))).map((r) => r.archived)).toEqual([true, false]); // both files, by path
      const s2 = entryOf(SPECS[1]!);
      await store.write([{ kind: 'grew', relPath: s2.file.relPath, stamp: { ...s2.stamp, size: 1500 } }]);
      const grown = (await store.get(s2.file.relPath))!;
      expect([grown.stamp.size, grown.contentSize, grown.content?.offset, grown.fingerprint]).toEqual([1500, 1000, 1000, '1000:x']);
      // A reset drops the content: the file answers no documents and no usage until it is read again.
      const s1 = entryOf(SPECS[0]!);
      await store.write([{ kind: 'entry', entry: s1, resetContent: start() }]);
      expect(await store.documents(s1.file.relPath, search('parser'), 0)).toEqual([]);
      expect((await store.usageOf([s1.file.relPath])).has(s1.file.relPath)).toBe(false);
      // Content that does not continue where the row's ends is not taken (another writer moved it).
      const stray = { kind: 'content', relPath: s1.file.relPath, from: 500, docs: [doc(9, 'user', 'stray parser')], responses: [],
        hasRecords: false, at: { offset: 900, lineNo: 10, state: initialContentState() }, fingerprint: '900:y', doneAtSize: 900 } as const;
      await store.write([stray]);
      expect(await store.documents(s1.file.relPath, search('stray'), 0)).toEqual([]);
      expect((await store.get(s1.file.relPath))!.content?.offset).toBe(0);
      await store.write([{ ...stray, from: 0 }]);
      expect((await store.documents(s1.file.relPath, search('stray'), 0))!.map((d) => d.text)).toEqual(['stray parser']);
      // An archive move: the file goes from sessions/ and comes back in archived_sessions/.
      const s5 = entryOf(SPECS[4]!);
      const moved = entryOf({ ...SPECS[4]!, archived: true });
      await store.write([{ kind: 'delete', relPath: s5.file.relPath }, { kind: 'entry', entry: moved, resetContent: start() }]);
      expect((await store.byId(uuidN(5))).map((r: StoredFile) => r.relPath)).toEqual([moved.file.relPath]);
      expect(await allIds(store, {})).toEqual([3, 2, 1]);
      expect(await allIds(store, { archived: 'true' })).toEqual([6, 5, 3]);
      await store.write([{ kind: 'delete', relPath: s1.file.relPath }]);
      expect(await store.get(s1.file.relPath)).toBeUndefined();
      expect(await store.byId(uuidN(1))).toEqual([]);
      expect(await store.documents(s1.file.relPath, search('parser'), 0)).toBeNull();
      expect(await allIds(store, {})).toEqual([3, 2]);
      await store.write([{ kind: 'complete' }]);
      expect(await store.complete()).toBe(true);
      expect(await store.verify()).toBeNull();
    } finally {
      await store.close();
    }
  },

  'q: the rule of fold.ts on every path (few or many titles hold it, short needles, names), through renames and removals':
  async (make) => {
    // A store may narrow q with an index of titles (SQLite's trigrams, PostgreSQL's pg_trgm): every
    // needle here must still list exactly what the rule of fold.ts lists, in key order, and count it.
    const titles: (string | null)[] = ['Fix the LINTER', 'ΠΡΟΣΟΧΗ στο ΣΟΦΟΣ', 'ΠΡΟΣ', 'προς τα εκεί', 'the lint er split',
      'Ärger über Öl', '日本語のテスト', 'a\tb tab', '"quoted" ""', 'İstanbul', null, 'linters\nnamed', 'x'];
    for (let i = 0; i < 510; i++) titles.push(`common title ${i}`); // more than a narrowing keeps
    const specs: Spec[] = titles.map((title, i) => ({ n: 200 + i, title, cwd: '/w', source: 'cli', provider: 'openai',
      mtime: '2025-05-01', stamp: new Date(DAY('2025-04-01T00:00:00Z') + i * 1000).toISOString().slice(0, 19).replaceAll(':', '-') }));
    const store = await make(HOME);
    try {
      const entries = specs.map((spec) => ({ kind: 'entry', entry: entryOf(spec), resetContent: null }) as const);
      await store.write([...entries, { kind: 'complete' }]);
      const check = async (live: Spec[], nameMatchIds: string[] = []) => {
        for (const q of ['linter', 'LINTER', 'no such title', 'li', 'l', 'ΠΡΟΣ', 'προσ', 'προς', 'ΣΟΦΟΣ', 'σοφοσ', 'e lin', 't er s',
          'ärger', 'ÜBER Ö', '日本語', '本語', '"quoted"', '""', 'İst', 'istanbul', 'b\tt', 's\nn', 'common', 'common title 5', 'title 50',
          'mmo', 'Σ', 'renamed']) {
          const expected = live
            .filter((s) => (s.title !== null && fold(s.title).includes(fold(q))) || nameMatchIds.includes(uuidN(s.n)))
            .sort((a, b) => (a.stamp < b.stamp ? 1 : -1)).map((s) => s.n);
          const query = { input: { q }, nameMatchIds, includeEmpty: true };
          expect(await allIds(store, query, 25), q).toEqual(expected);
          expect(await allIds(store, { ...query, order: 'asc' }, 300), q).toEqual([...expected].reverse());
          const counted = await store.countMatching({ ...BASE, includeEmpty: true, filter: parseFilter({ q }), nameMatchIds });
          expect(counted, q).toBe(expected.length);
        }
      };
      await check(specs);
      await check(specs, [uuidN(210), uuidN(300)]); // no title / a common one: listed by its name
      const renamed = { ...specs[0]!, title: 'renamed it' };
      await store.write([{ kind: 'entry', entry: entryOf(renamed), resetContent: null },
        { kind: 'delete', relPath: entryOf(specs[2]!).file.relPath }, { kind: 'delete', relPath: entryOf(specs[300]!).file.relPath }]);
      await check([renamed, ...specs.slice(1).filter((s) => s !== specs[2] && s !== specs[300])]);
    } finally {
      await store.close();
    }
  },

  'answers only about its own home': async (make) => {
    const store = await filled(make);
    const other = await make('other-host:/home/v/.codex').catch(() => null);
    try {
      // A backend that holds one home per store may refuse another home; one that shares must keep them apart.
      if (other !== null) {
        expect(await other.count()).toBe(0);
        expect(await other.byId(uuidN(1))).toEqual([]);
        expect(await store.count()).toBe(8);
      }
      expect(store.home).toBe(HOME);
      expect((await store.byId(uuidN(1))).length).toBe(1);
    } finally {
      await other?.close();
      await store.close();
    }
  },
};

function expectedUsage(groupBy: GroupBy, withArchived: boolean): UsageAggregate {
  const tokens = new Map<string, UsageAggregate['tokens'][number]>();
  const sessions = new Map<string, Set<string>>();
  for (const [n, responses] of Object.entries(RESPONSES)) {
    const spec = SPECS.find((s) => s.n === Number(n))!;
    if (spec.archived && !withArchived) continue;
    for (const r of responses) {
      const day = Math.floor(Date.parse(r.at!) / DAY_MS);
      const bucket =
        groupBy === 'model' ? r.model : groupBy === 'cwd' ? normalizeCwd(spec.cwd) : groupBy === 'source' ? spec.source
          : groupBy === 'provider' ? spec.provider : groupBy === 'session' ? uuidN(spec.n) : bucketDay(day, groupBy);
      const k = `${bucket}|${r.model}`;
      const zero = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0 };
      const t = tokens.get(k) ?? { bucket, model: r.model, ...zero };
      t.inputTokens += r.inputTokens;
      t.cachedInputTokens += r.cachedInputTokens;
      t.outputTokens += r.outputTokens;
      t.reasoningOutputTokens += r.reasoningOutputTokens;
      tokens.set(k, t);
      sessions.set(String(bucket), (sessions.get(String(bucket)) ?? new Set()).add(uuidN(spec.n)));
    }
  }
  const bucketOf = (b: string) => [...tokens.values()].find((t) => String(t.bucket) === b)!.bucket;
  return { tokens: [...tokens.values()], sessions: [...sessions].map(([b, ids]) => ({ bucket: bucketOf(b), n: ids.size })) };
}

/** Counts without Claude's cache writes when they are 0 (a store may leave them out for Codex rows: SQLite has them, PostgreSQL not). */
function codexFields<T extends { cacheWrite5mTokens?: number; cacheWrite1hTokens?: number }>(t: T): T {
  const { cacheWrite5mTokens = 0, cacheWrite1hTokens = 0, ...rest } = t;
  return (cacheWrite5mTokens === 0 && cacheWrite1hTokens === 0 ? rest : t) as T;
}

const sorted = (a: UsageAggregate) => ({
  tokens: a.tokens.map(codexFields).sort((x, y) => (`${x.bucket}|${x.model}` < `${y.bucket}|${y.model}` ? -1 : 1)),
  sessions: [...a.sessions].sort((x, y) => (`${x.bucket}` < `${y.bucket}` ? -1 : 1)),
});
