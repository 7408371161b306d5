import { describe, expect, it } from 'vitest';
import type { UsageAggregation } from '../../../src/rollout/index/metadata-index.js';
import { UsageMirror, type RollupRow, type SessionRow } from '../../../src/rollout/index/sqlite/usage-mirror.js';
import { offsetIntervals } from '../../../src/rollout/usage/time-buckets.js';

const QUARTER = 900_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday
const qh = (ms: number) => Math.floor(ms / QUARTER);

/**
 * Two files of one session id (a resumed session's two rollouts), a third session, and their
 * rollup rows in an order where one id's rows are not next to each other, as the rollup table
 * can give them (rows of an old file grow after a newer file's).
 */
const SESSIONS: SessionRow[] = [
  [1, 'id-a', 0, '/w', 'cli', 'openai', 0],
  [2, 'id-b', 0, '/w', 'cli', 'openai', 0],
  [3, 'id-a', 0, '/x', 'cli', 'openai', 0],
];
const ROWS: RollupRow[] = [
  [1, qh(T0 + 1 * QUARTER), 'gpt-5', 10, 0, 1, 0],
  [2, qh(T0 + 2 * QUARTER), 'gpt-5', 20, 0, 2, 0],
  [3, qh(T0 + 3 * QUARTER), 'gpt-5', 30, 0, 3, 0],
  [1, qh(T0 + 4 * QUARTER), 'o3', 40, 0, 4, 0],
  [2, qh(T0 + DAY), 'o3', 50, 0, 5, 0],
  [3, qh(T0 + DAY + QUARTER), 'gpt-5', 60, 0, 6, 0],
];

const ask = (groupBy: UsageAggregation['groupBy'], extra: Partial<UsageAggregation> = {}): UsageAggregation => ({
  groupBy,
  offsets: offsetIntervals('UTC', T0, T0 + 2 * DAY),
  archived: 'all',
  filter: {},
  ...extra,
});

function sessionsPerBucket(groupBy: UsageAggregation['groupBy'], extra?: Partial<UsageAggregation>) {
  const mirror = UsageMirror.build(1, ROWS.length, SESSIONS, ROWS);
  const { sessions } = mirror.aggregate(ask(groupBy, extra));
  return Object.fromEntries(sessions.map(({ bucket, n }) => [String(bucket), n]));
}

describe('the usage mirror', () => {
  it('counts a session id once per bucket when its files’ rows are apart', () => {
    const day0 = String(Math.floor(T0 / DAY));
    const day1 = String(Math.floor(T0 / DAY) + 1);
    expect(sessionsPerBucket('day')).toEqual({ [day0]: 2, [day1]: 2 });
    expect(sessionsPerBucket('model')).toEqual({ 'gpt-5': 2, o3: 2 });
    expect(sessionsPerBucket('provider')).toEqual({ openai: 2 });
    expect(sessionsPerBucket('cwd')).toEqual({ '/w': 2, '/x': 1 });
    expect(sessionsPerBucket('day', { filter: { cwd: ['/x'] } })).toEqual({ [day0]: 1, [day1]: 1 });
  });

  it('sums each bucket and model, also when the same filter and grouping are asked again', () => {
    const mirror = UsageMirror.build(1, ROWS.length, SESSIONS, ROWS);
    for (let round = 0; round < 2; round++) {
      const { tokens } = mirror.aggregate(ask('model', { sinceMs: T0 + 2 * QUARTER }));
      const byModel = Object.fromEntries(tokens.map((t) => [t.model, [t.inputTokens, t.outputTokens]]));
      expect(byModel).toEqual({ 'gpt-5': [110, 11], o3: [90, 9] });
    }
  });
});
