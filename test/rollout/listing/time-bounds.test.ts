import { describe, expect, it } from 'vitest';
import { timeBounds } from '../../../src/rollout/listing/time-bounds.js';

// Issue 16: one since/until parser for the list (UTC, on the sort key) and usage (in tz, on response times).
describe('timeBounds', () => {
  it('a bare date is its whole day in the zone; an instant with an offset is that instant anywhere', () => {
    expect(timeBounds('2025-01-01', '2025-01-01', 'utc')).toEqual({
      sinceMs: Date.parse('2025-01-01T00:00:00.000Z'),
      untilMs: Date.parse('2025-01-01T23:59:59.999Z'),
    });
    expect(timeBounds('2025-01-01', '2025-01-01', 'Asia/Tokyo')).toEqual({
      sinceMs: Date.parse('2024-12-31T15:00:00.000Z'),
      untilMs: Date.parse('2025-01-01T14:59:59.999Z'),
    });
    expect(timeBounds('2025-01-01T12:00:00Z', undefined, 'Asia/Tokyo')).toEqual({ sinceMs: Date.parse('2025-01-01T12:00:00Z') });
    expect(timeBounds(undefined, undefined, 'utc')).toEqual({});
  });

  it.each([
    ['yesterday', undefined, 'since must be an ISO 8601 instant or date, got "yesterday"'],
    [undefined, '2025-02-30', 'until must be an ISO 8601 instant or date, got "2025-02-30"'],
    ['2025-02-01', '2025-01-01', 'since must not be after until'],
    ['+010000-01-01', undefined, 'since must lie between 0000-01-01 and 9999-12-31, got "+010000-01-01"'],
    [undefined, '-271821-04-20', 'until must lie between 0000-01-01 and 9999-12-31, got "-271821-04-20"'],
  ])('since=%s until=%s → InvalidQuery: %s', (since, until, message) => {
    for (const zone of ['utc', 'America/Los_Angeles']) {
      expect(() => timeBounds(since, until, zone)).toThrow(expect.objectContaining({ kind: 'InvalidQuery', message }));
    }
  });
});
