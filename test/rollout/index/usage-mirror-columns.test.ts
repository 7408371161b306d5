// The usage mirror's memory (usage-mirror.ts, mirror-sessions.ts): its sessions' facts are kept
// in columns, each distinct value once, and its rows are put in identity order in place; the
// answers stay those of a plain computation over the same rows.
import { describe, expect, it } from 'vitest';
import type { UsageAggregation } from '../../../src/rollout/index/metadata-index.js';
import { UsageMirror, type RollupRow, type SessionRow } from '../../../src/rollout/index/sqlite/usage-mirror.js';
import { offsetIntervals } from '../../../src/rollout/usage/time-buckets.js';

const QUARTER = 900_000;
const T0 = Date.UTC(2026, 0, 5);

/** A deterministic generator (no Math.random: the same rows every run). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

/** `n` sessions over 40 projects, as SQLite gives them: each row its own copy of every string. */
function home(n: number, rowsPerSession: number) {
  const rand = lcg(7);
  const sessions: SessionRow[] = [];
  for (let fid = 1; fid <= n; fid++) {
    // Every fifth file another file of an earlier session id (a resumed session's second rollout).
    const id = fid % 5 === 0 ? `id-${Math.floor(rand() * (fid - 1)) + 1}` : `id-${fid}`;
    const project = fid % 40;
    const [cwd, source] = [['/work/', String(project)].join(''), ['c', 'li'].join('')];
    sessions.push([fid, id, fid % 7 === 0 ? 1 : 0, cwd, source, fid % 3 === 0 ? 'anthropic' : 'openai', 0]);
  }
  const rows: RollupRow[] = [];
  for (let r = 0; r < n * rowsPerSession; r++) {
    const fid = Math.floor(rand() * n) + 1; // the rollup's order need not keep a session's rows together
    const quarter = Math.floor(T0 / QUARTER) + Math.floor(rand() * 2000);
    rows.push([fid, quarter, rand() < 0.5 ? 'gpt-5' : 'o3', r % 97, r % 13, r % 29, r % 3, r % 5, 0]);
  }
  return { sessions, rows };
}

/** The answer computed plainly: token sums per (bucket, model), distinct session ids per bucket. */
function plain(sessions: SessionRow[], rows: RollupRow[], bucketOf: (row: RollupRow, s: SessionRow) => string | null) {
  const byFid = new Map(sessions.map((s) => [s[0], s]));
  const sums = new Map<string, number>();
  const ids = new Map<string | null, Set<string>>();
  for (const row of rows) {
    const s = byFid.get(row[0])!;
    if (s[2] === 1) continue; // archived = 'false' below
    const b = bucketOf(row, s);
    const key = `${b}|${row[2]}`;
    sums.set(key, (sums.get(key) ?? 0) + row[3]);
    if (!ids.has(b)) ids.set(b, new Set());
    ids.get(b)!.add(s[1]);
  }
  return { sums, sessions: new Map([...ids].map(([b, set]) => [b, set.size])) };
}

const ask = (groupBy: UsageAggregation['groupBy']): UsageAggregation => ({
  groupBy,
  offsets: offsetIntervals('UTC', T0, T0 + 40 * 86_400_000),
  archived: 'false',
  filter: {},
});

describe('the usage mirror’s columns', () => {
  it('keeps 5,000 sessions’ facts in 21 bytes each (each distinct string once) and a row in 60 bytes', () => {
    const { sessions, rows } = home(5000, 3);
    const mirror = UsageMirror.build(1, rows.length, sessions, rows);
    const { bytesPerRow, bytesPerSession, distinctFacts } = mirror.footprint();
    expect(bytesPerRow).toBe(60); // quarter hour, model, session: 4 each; six counts: 8 each
    expect(bytesPerSession).toBeLessThanOrEqual(21);
    expect(distinctFacts).toBe(1 + 40 + 1 + 2); // one home (SQLite's ''), 40 cwds, one source, two providers
  });

  it('answers as a plain computation over rows whose sessions are scattered', () => {
    const { sessions, rows } = home(3000, 4);
    const mirror = UsageMirror.build(1, rows.length, sessions, rows);
    const checks: [UsageAggregation['groupBy'], (row: RollupRow, s: SessionRow) => string | null][] = [
      ['cwd', (_, s) => s[3]],
      ['session', (_, s) => s[1]],
      ['model', (row) => row[2]],
      ['provider', (_, s) => s[5]],
    ];
    for (const [groupBy, bucketOf] of checks) {
      const want = plain(sessions, rows, bucketOf);
      const got = mirror.aggregate(ask(groupBy));
      expect(new Map(got.tokens.map((t) => [`${t.bucket}|${t.model}`, t.inputTokens]))).toEqual(want.sums);
      expect(new Map(got.sessions.map((s) => [s.bucket, s.n]))).toEqual(want.sessions);
    }
  });
});
