// The store contract (test/rollout/index/store-contract.ts) on PostgreSQL: each case in a fresh database.
import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { PgBackend } from '../../src/rollout/index/postgres/backend.js';
import { initialContentState } from '../../src/rollout/index/content-state.js';
import { StoreRefusedError, type ContentPosition, type WriteOp } from '../../src/rollout/index/store.js';
import type { SessionSummary } from '../../src/rollout/types.js';
import { openPool } from '../../src/team/db/pool.js';
import { describeStoreContract } from '../rollout/index/store-contract.js';
import { describePg, migratedDatabase } from './pg.js';

const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

/** A file that is not a session, with its content reset or not. */
const entryOp = (resetContent: ContentPosition | null): WriteOp => ({
  kind: 'entry',
  entry: {
    file: { key: 'k', stamp: '2025-01-01T00-00-00', id: 'id', absPath: '/h/x', relPath: 'sessions/x.jsonl', archived: false },
    stamp: { dev: 1, ino: 2, size: 3, mtimeMs: 4, ctimeMs: 5 },
    session: null,
  },
  resetContent,
});

async function backend(): Promise<PgBackend> {
  const pool = openPool(await migratedDatabase(), { max: 4 });
  pools.push(pool);
  return new PgBackend(pool);
}

describePg('PostgreSQL index store', () => {
  describeStoreContract('PostgreSQL', async () => {
    const b = await backend();
    return (home) => b.open(home, false);
  });

  it('opening a home fresh drops its rows, and only its own', async () => {
    const b = await backend();
    const a = await b.open('host-a:/h', false);
    const other = await b.open('host-b:/h', false);
    await a.write([entryOp(null), { kind: 'complete' }]);
    await other.write([entryOp(null)]);
    const again = await b.open('host-a:/h', true);
    expect([await again.count(), await again.complete(), await other.count()]).toEqual([0, false, 1]);
    // The home's row is back (opened again): a handle opened before answers for it.
    expect(await a.verify()).toBeNull();
    // Dropped under it (another instance's fresh open, or a hand): it says so, and the index opens it again.
    await pools[pools.length - 1]!.query('DELETE FROM cs_index_homes WHERE home = $1', ['host-a:/h']);
    expect(await a.verify()).toMatch(/dropped/);
  });

  it('classifies PostgreSQL errors: a missing table is schema, a lost connection busy, a refusal of a newer schema', async () => {
    const b = await backend();
    const store = await b.open('host:/h', false);
    await store.write([entryOp(null)]);
    await pools[pools.length - 1]!.query('DROP TABLE cs_index_docs');
    // A read finds nothing to read; a content reset of the existing row needs the dropped table.
    expect(await store.documents('x', { mode: 'phrase', scope: 'all', needles: ['abc'] }, 0)).toBeNull();
    const err = await store.write([entryOp({ offset: 0, lineNo: 1, state: initialContentState() })]).catch((e: unknown) => e);
    expect(b.classify(err)?.kind).toBe('schema');
    expect(b.classify(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))?.kind).toBe('busy');
    expect(b.classify(Object.assign(new Error('x'), { code: '57P01' }))?.kind).toBe('busy');
    expect(b.classify(new Error('plain'))).toBeNull();
    await pools[pools.length - 1]!.query("INSERT INTO cs_schema (version, name) VALUES (999, 'future')");
    const refused = await b.open('host:/h', false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreRefusedError);
    expect((refused as Error).message).toMatch(/newer than this codex-sessions/);
  });

  it('stores text with NUL (which PostgreSQL text cannot hold) as U+FFFD instead of failing the write', async () => {
    const b = await backend();
    const store = await b.open('host:/h', false);
    const op = entryOp({ offset: 0, lineNo: 1, state: initialContentState() });
    if (op.kind !== 'entry') throw new Error('not an entry');
    const summary = {
      id: 'id', path: 'sessions/x.jsonl', createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z', sizeBytes: 3,
      title: 'nul\0title', name: null, cwd: '/h\0c', source: 'cli', originator: null, cliVersion: null, modelProvider: 'openai',
      git: null, forkedFromId: null, archived: false, usage: null,
    } satisfies SessionSummary;
    const doc = { line: 2, role: 'user', kind: 'message', timestamp: null, text: 'a\0b parser' } as const;
    const at = { offset: 3, lineNo: 3, state: initialContentState() };
    await store.write([
      { ...op, entry: { ...op.entry, session: { summary, hasUserMessage: true } } },
      { kind: 'content', relPath: 'sessions/x.jsonl', from: 0, docs: [doc], responses: [], hasRecords: false, at, fingerprint: '3:x' },
    ]);
    const page = await store.query({
      sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter: { q: 'title' }, nameMatchIds: [], limit: 5,
    });
    expect(page.map((r) => r.relPath)).toEqual(['sessions/x.jsonl']);
    const docs = await store.documents('sessions/x.jsonl', { mode: 'phrase', scope: 'all', needles: ['parser'] }, 0);
    expect(docs?.map((d) => d.text)).toEqual(['a\uFFFDb parser']);
  });

  it('writes a file read twice, deleted and read again, or grown, in one write as in one write per step', async () => {
    // The rows of a write are upserted together when something needs them (write-ops.ts): the same
    // answers as one statement per step, whatever follows a file's entry within the write.
    const session = (relPath: string, title: string, size: number): WriteOp => {
      const file = { key: relPath, stamp: '2025-01-01T00-00-00', id: `id-${relPath}`, absPath: `/h/${relPath}`, relPath, archived: false };
      const summary = {
        id: file.id, path: relPath, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z', sizeBytes: size, title,
        name: null, cwd: '/h/c', source: 'cli', originator: null, cliVersion: null, modelProvider: 'openai', git: null,
        forkedFromId: null, archived: false, usage: null,
      } satisfies SessionSummary;
      const stamp = { dev: 1, ino: relPath.length, size, mtimeMs: size, ctimeMs: size };
      return { kind: 'entry', entry: { file, stamp, session: { summary, hasUserMessage: true } }, resetContent: start() };
    };
    const start = () => ({ offset: 0, lineNo: 1, state: initialContentState() });
    const content = (relPath: string, text: string, to: number): WriteOp => ({
      kind: 'content', relPath, from: 0, docs: [{ line: 2, role: 'user', kind: 'message', timestamp: null, text }],
      responses: [{
        responseKey: '#L3', threadId: `id-${relPath}`, lineNo: 3, at: '2025-01-01T00:10:00Z', model: 'gpt-5', turnId: null,
        source: 'token_count', inputTokens: to, cachedInputTokens: 0, outputTokens: 1, reasoningOutputTokens: 0, totalTokens: to + 1,
      }],
      hasRecords: true, at: { offset: to, lineNo: 4, state: initialContentState() }, fingerprint: `${to}:x`, doneAtSize: to,
    });
    const [a, b, c] = ['sessions/a.jsonl', 'sessions/b.jsonl', 'sessions/c.jsonl'];
    const ops: WriteOp[] = [
      session(a, 'first read', 10), content(a, 'alpha one', 10), session(a, 'read again', 20), content(a, 'alpha two', 20),
      session(b, 'gone', 10), content(b, 'beta one', 10), { kind: 'delete', relPath: b },
      session(b, 'back', 30), content(b, 'beta two', 30),
      session(c, 'grows', 10), content(c, 'gamma', 10),
      { kind: 'grew', relPath: c, stamp: { dev: 1, ino: 16, size: 40, mtimeMs: 40, ctimeMs: 40 } },
    ];
    const backendOf = await backend();
    const together = await backendOf.open('host:/together', false);
    const apart = await backendOf.open('host:/apart', false);
    await together.write(ops);
    for (const op of ops) await apart.write([op]);
    const seen = async (store: typeof together) => {
      const out = [];
      for (const p of [a, b, c]) {
        const row = await store.get(p);
        const docs = await store.documents(p, { mode: 'phrase', scope: 'all', needles: ['a'] }, 0);
        out.push({ row: { ...row, fid: undefined }, docs: docs?.map((d) => d.text), usage: (await store.usageOf([p])).get(p) });
      }
      return out;
    };
    const expected = await seen(apart);
    expect(expected.map((f) => f.docs)).toEqual([['alpha two'], ['beta two'], ['gamma']]);
    expect(expected.map((f) => f.row.stamp?.size)).toEqual([20, 30, 40]);
    expect(await seen(together)).toEqual(expected);
  });
});
