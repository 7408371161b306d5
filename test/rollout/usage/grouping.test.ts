import { describe, expect, it } from 'vitest';

import { RolloutError } from '../../../src/rollout/errors.js';
import { KIND_TO_CODE } from '../../../src/http/problem.js';
import type { UsageResponse } from '../../../src/rollout/sources/codex/usage-counter.js';
import { bucketKey, checkTimeZone, groupUsage, type SessionFacts } from '../../../src/rollout/usage/grouping.js';
import { PriceBook } from '../../../src/rollout/usage/pricing.js';
import { ZERO_TOKENS } from '../../usage-lines.js';

const response = (at: string, model: string, input: number, cached: number, output: number): UsageResponse => ({
  responseKey: `#L${input}`,
  threadId: null,
  lineNo: 1,
  at,
  model,
  inputTokens: input,
  cachedInputTokens: cached,
  outputTokens: output,
  reasoningOutputTokens: 0,
  totalTokens: input + output,
  turnId: null,
  source: 'token_count',
});

const session = (id: string, cwd: string | null, source = 'cli', provider = 'openai'): SessionFacts => ({ id, cwd, source, provider });

describe('bucketKey (rule 5)', () => {
  it('puts a response in the day, ISO week and month of its own time in the zone', () => {
    // Sunday 2025-09-28 23:30 UTC and Monday 2025-09-29 00:30 UTC: a midnight, a week start; 2025-09-30/10-01: a month.
    expect(bucketKey('2025-09-28T23:30:00.000Z', 'day', 'UTC')).toBe('2025-09-28');
    expect(bucketKey('2025-09-29T00:30:00.000Z', 'day', 'UTC')).toBe('2025-09-29');
    expect(bucketKey('2025-09-29T00:30:00.000Z', 'day', 'America/New_York')).toBe('2025-09-28');
    expect(bucketKey('2025-09-28T23:30:00.000Z', 'day', 'Asia/Tokyo')).toBe('2025-09-29');
    expect(bucketKey('2025-09-28T23:30:00.000Z', 'week', 'UTC')).toBe('2025-W39');
    expect(bucketKey('2025-09-29T00:30:00.000Z', 'week', 'UTC')).toBe('2025-W40');
    expect(bucketKey('2025-09-29T00:30:00.000Z', 'week', 'America/New_York')).toBe('2025-W39');
    expect(bucketKey('2025-09-28T23:30:00.000Z', 'week', 'Asia/Tokyo')).toBe('2025-W40');
    expect(bucketKey('2025-12-29T12:00:00.000Z', 'week', 'UTC')).toBe('2026-W01');
    expect(bucketKey('2025-09-30T23:30:00.000Z', 'month', 'UTC')).toBe('2025-09');
    expect(bucketKey('2025-09-30T23:30:00.000Z', 'month', 'Asia/Tokyo')).toBe('2025-10');
    expect(bucketKey(null, 'day', 'UTC')).toBeNull();
    expect(bucketKey('yesterday', 'day', 'UTC')).toBeNull();
  });

  it('a time zone that is not an IANA name is INVALID_QUERY', () => {
    expect(checkTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    for (const tz of ['Mars/Olympus', '', 'CEST+99', '../etc']) {
      let error: unknown;
      try {
        checkTimeZone(tz);
      } catch (err) {
        error = err;
      }
      expect(error, tz).toBeInstanceOf(RolloutError);
      expect(KIND_TO_CODE[(error as RolloutError).kind]).toBe('INVALID_QUERY');
    }
  });
});

describe('groupUsage', () => {
  const prices = new PriceBook();
  const counted = [
    // one session across midnight UTC (evening in New York)
    { response: response('2025-10-01T23:30:00.000Z', 'gpt-5', 1000, 200, 100), session: session('a', '/p/one') },
    { response: response('2025-10-02T00:30:00.000Z', 'gpt-5', 2000, 0, 200), session: session('a', '/p/one') },
    { response: response('2025-10-02T12:00:00.000Z', 'mock-model', 500, 0, 50), session: session('b', null, 'exec') },
    { response: response('2025-10-02T13:00:00.000Z', 'o3', 100, 0, 10), session: session('c', '/p/two', 'exec', 'azure') },
  ];

  it('splits days by each response time in the zone, sorted ascending, with sessions, byModel and costs', () => {
    const utc = groupUsage(counted, 'day', 'UTC', prices);
    expect(utc.rows.map((r) => [r.key, r.inputTokens, r.outputTokens, r.totalTokens, r.sessions, r.costUSD])).toEqual([
      // (800 × 1.25 + 200 × 0.125 + 100 × 10) / 1e6
      ['2025-10-01', 1000, 100, 1100, 1, 0.002025],
      // gpt-5 (2000 × 1.25 + 200 × 10) + o3 (100 × 2 + 10 × 8); mock-model left out
      ['2025-10-02', 2600, 260, 2860, 3, 0.00478],
    ]);
    expect(utc.rows[1]!.byModel['mock-model']).toMatchObject({ inputTokens: 500, costUSD: null });
    expect(utc.unpricedModels).toEqual(['mock-model']);
    expect(utc.totals).toMatchObject({ inputTokens: 3600, cachedInputTokens: 200, outputTokens: 360, totalTokens: 3960 });
    expect(utc.totals.costUSD).toBe(0.006805);
    const ny = groupUsage(counted, 'day', 'America/New_York', prices);
    expect(ny.rows.map((r) => [r.key, r.totalTokens, r.sessions])).toEqual([
      ['2025-10-01', 3300, 1],
      ['2025-10-02', 660, 2],
    ]);
  });

  it('sorts other groups by total tokens, largest first (ties by key, an unknown key last)', () => {
    expect(groupUsage(counted, 'model', 'UTC', prices).rows.map((r) => [r.key, r.totalTokens, r.costUSD])).toEqual([
      ['gpt-5', 3300, 0.006525],
      ['mock-model', 550, null],
      ['o3', 110, 0.00028],
    ]);
    expect(groupUsage(counted, 'cwd', 'UTC', prices).rows.map((r) => r.key)).toEqual(['/p/one', null, '/p/two']);
    expect(groupUsage(counted, 'source', 'UTC', prices).rows.map((r) => [r.key, r.sessions])).toEqual([
      ['cli', 1],
      ['exec', 2],
    ]);
    expect(groupUsage(counted, 'provider', 'UTC', prices).rows.map((r) => r.key)).toEqual(['openai', 'azure']);
    expect(groupUsage(counted, 'session', 'UTC', prices).rows.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    expect(groupUsage([], 'month', 'UTC', prices)).toEqual({
      rows: [],
      totals: { ...ZERO_TOKENS, costUSD: 0 },
      unpricedModels: [],
    });
    expect(() => groupUsage(counted, 'day', 'Nowhere/City', prices)).toThrow(RolloutError);
  });
});
