import { describe, expect, it } from 'vitest';
import { isValidStamp, parseRolloutName, stampDate, stampToUtcIso } from '../../../../src/rollout/sources/codex/filename.js';

const V7 = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const V4 = '5973b6c0-94b8-487b-a530-2aeb6098ae0e';

describe('parseRolloutName', () => {
  it('parses a current (UUIDv7) rollout name into stamp, id and key', () => {
    expect(parseRolloutName(`rollout-2026-11-24T02-57-41-${V7}.jsonl`)).toEqual({
      stamp: '2026-11-24T02-57-41',
      id: V7,
      key: `2026-11-24T02-57-41|${V7}`,
    });
  });

  it('parses an older (UUIDv4) rollout name', () => {
    expect(parseRolloutName(`rollout-2025-05-07T17-24-21-${V4}.jsonl`)).toEqual({
      stamp: '2025-05-07T17-24-21',
      id: V4,
      key: `2025-05-07T17-24-21|${V4}`,
    });
  });

  it('lower-cases an upper-case uuid in id and key, keeping the stamp as written', () => {
    expect(parseRolloutName(`rollout-2025-09-10T08-00-59-${V4.toUpperCase()}.jsonl`)).toEqual({
      stamp: '2025-09-10T08-00-59',
      id: V4,
      key: `2025-09-10T08-00-59|${V4}`,
    });
  });

  it('accepts the extreme valid values of every field', () => {
    expect(parseRolloutName(`rollout-2025-12-31T23-59-59-${V4}.jsonl`)?.stamp).toBe('2025-12-31T23-59-59');
    expect(parseRolloutName(`rollout-2025-01-01T00-00-00-${V4}.jsonl`)?.stamp).toBe('2025-01-01T00-00-00');
  });

  it('accepts 29 February in leap years only', () => {
    expect(parseRolloutName(`rollout-2024-02-29T12-00-00-${V4}.jsonl`)?.stamp).toBe('2024-02-29T12-00-00');
    expect(parseRolloutName(`rollout-2000-02-29T12-00-00-${V4}.jsonl`)?.stamp).toBe('2000-02-29T12-00-00');
    expect(parseRolloutName(`rollout-2025-02-29T12-00-00-${V4}.jsonl`)).toBeNull();
    expect(parseRolloutName(`rollout-2100-02-29T12-00-00-${V4}.jsonl`)).toBeNull();
  });

  it.each([
    ['February 30', '2025-02-30T10-00-00'],
    ['April 31', '2025-04-31T10-00-00'],
    ['day 00', '2025-03-00T10-00-00'],
    ['day 32', '2025-01-32T10-00-00'],
    ['month 13', '2025-13-01T10-00-00'],
    ['month 00', '2025-00-10T10-00-00'],
    ['hour 24', '2025-03-01T24-00-00'],
    ['minute 60', '2025-03-01T10-60-00'],
    ['second 60', '2025-03-01T10-00-60'],
  ])('rejects an impossible date or time (%s)', (_what, stamp) => {
    expect(parseRolloutName(`rollout-${stamp}-${V4}.jsonl`)).toBeNull();
  });

  it.each([
    ['compressed', `rollout-2025-03-01T10-00-00-${V4}.jsonl.zst`],
    ['.json', `rollout-2025-03-01T10-00-00-${V4}.json`],
    ['no extension', `rollout-2025-03-01T10-00-00-${V4}`],
    ['.jsonl.tmp temp file', `rollout-2025-03-01T10-00-00-${V4}.jsonl.tmp`],
    ['editor backup', `rollout-2025-03-01T10-00-00-${V4}.jsonl~`],
    ['hidden swap file', `.rollout-2025-03-01T10-00-00-${V4}.jsonl.swp`],
    ['dot-prefixed temp file', `.rollout-2025-03-01T10-00-00-${V4}.jsonl`],
    ['atomic-write temp', `rollout-2025-03-01T10-00-00-${V4}.jsonl.12345.tmp`],
  ])('rejects a wrong extension or temp file (%s)', (_what, name) => {
    expect(parseRolloutName(name)).toBeNull();
  });

  it.each([
    ['missing prefix', `2025-03-01T10-00-00-${V4}.jsonl`],
    ['other prefix', `session-2025-03-01T10-00-00-${V4}.jsonl`],
    ['missing uuid', 'rollout-2025-03-01T10-00-00.jsonl'],
    ['missing seconds', `rollout-2025-03-01T10-00-${V4}.jsonl`],
    ['missing time', `rollout-2025-03-01-${V4}.jsonl`],
    ['colons in the time', `rollout-2025-03-01T10:00:00-${V4}.jsonl`],
    ['unpadded month', `rollout-2025-3-01T10-00-00-${V4}.jsonl`],
    ['truncated uuid', 'rollout-2025-03-01T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0.jsonl'],
    ['uuid without dashes', 'rollout-2025-03-01T10-00-00-5973b6c094b8487ba5302aeb6098ae0e.jsonl'],
    ['non-hex uuid', 'rollout-2025-03-01T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098aeZZ.jsonl'],
    ['trailing text', `rollout-2025-03-01T10-00-00-${V4}-copy.jsonl`],
    ['leading space', ` rollout-2025-03-01T10-00-00-${V4}.jsonl`],
    ['a path, not a name', `x/rollout-2025-03-01T10-00-00-${V4}.jsonl`],
    ['empty string', ''],
  ])('rejects a name with missing or malformed parts (%s)', (_what, name) => {
    expect(parseRolloutName(name)).toBeNull();
  });

  // SPEC §1: names are `rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl`; anything else is ignored.
  // The stamp of a parsed name is the ordering key and the desc cursor; it must be a valid stamp.
  it('rejects a lower-case "t" date/time separator (its stamp would not be a valid stamp)', () => {
    const parsed = parseRolloutName(`rollout-2025-03-01t10-00-00-${V4}.jsonl`);
    expect(parsed).toBeNull();
  });

  it('rejects an upper-case prefix or extension (Codex writes exactly `rollout-` and `.jsonl`)', () => {
    expect(parseRolloutName(`ROLLOUT-2025-03-01T10-00-00-${V4}.jsonl`)).toBeNull();
    expect(parseRolloutName(`rollout-2025-03-01T10-00-00-${V4}.JSONL`)).toBeNull();
  });

  it('produces keys whose string order is (time, uuid) order', () => {
    const names = [
      `rollout-2025-03-01T10-00-01-${'00000000-0000-4000-8000-000000000001'}.jsonl`,
      `rollout-2025-03-01T10-00-00-${'00000000-0000-4000-8000-00000000000A'}.jsonl`,
      `rollout-2025-03-01T10-00-00-${'00000000-0000-4000-8000-000000000002'}.jsonl`,
      `rollout-2024-12-31T23-59-59-${'ffffffff-ffff-4fff-bfff-ffffffffffff'}.jsonl`,
    ];
    const keys = names.map((n) => parseRolloutName(n)!.key).sort();
    expect(keys).toEqual([
      '2024-12-31T23-59-59|ffffffff-ffff-4fff-bfff-ffffffffffff',
      '2025-03-01T10-00-00|00000000-0000-4000-8000-000000000002',
      '2025-03-01T10-00-00|00000000-0000-4000-8000-00000000000a',
      '2025-03-01T10-00-01|00000000-0000-4000-8000-000000000001',
    ]);
  });
});

describe('isValidStamp', () => {
  it.each(['2025-09-10T17-24-21', '2024-02-29T00-00-00', '1999-12-31T23-59-59', '2026-01-01T00-00-00'])(
    'accepts %s',
    (stamp) => {
      expect(isValidStamp(stamp)).toBe(true);
    },
  );

  it.each([
    '',
    '2025-02-30T10-00-00',
    '2025-13-01T10-00-00',
    '2025-00-01T10-00-00',
    '2025-01-00T10-00-00',
    '2025-01-01T24-00-00',
    '2025-01-01T10-60-00',
    '2025-01-01T10-00-60',
    '2025-01-01t10-00-00',
    '2025-01-01 10-00-00',
    '2025-01-01T10:00:00',
    '2025-01-01T10-00-00Z',
    '2025-01-01T10-00-00.000',
    ' 2025-01-01T10-00-00',
    '2025-01-01T10-00-00\n',
    '25-01-01T10-00-00',
    '2025-1-01T10-00-00',
    '2025-01-01',
    'rollout-2025-01-01T10-00-00',
    '../../etc/passwd',
  ])('rejects %j', (stamp) => {
    expect(isValidStamp(stamp)).toBe(false);
  });
});

describe('stampToUtcIso', () => {
  it('reads the file-name time as UTC with milliseconds', () => {
    expect(stampToUtcIso('2025-09-10T17-24-21')).toBe('2025-09-10T17:24:21.000Z');
    expect(stampToUtcIso('2026-01-01T00-00-00')).toBe('2026-01-01T00:00:00.000Z');
    expect(stampToUtcIso('2024-02-29T23-59-59')).toBe('2024-02-29T23:59:59.000Z');
  });

  it('gives a string that Date parses back to the same instant', () => {
    const iso = stampToUtcIso('2025-03-01T04-05-06');
    expect(new Date(iso).toISOString()).toBe(iso);
    expect(Date.parse(iso)).toBe(Date.UTC(2025, 2, 1, 4, 5, 6));
  });

  it('converts the stamp of a parsed name', () => {
    const parsed = parseRolloutName(`rollout-2026-11-24T02-57-41-${V7}.jsonl`)!;
    expect(stampToUtcIso(parsed.stamp)).toBe('2026-11-24T02:57:41.000Z');
  });
});

describe('stampDate', () => {
  it('returns the YYYY-MM-DD part of a stamp', () => {
    expect(stampDate('2025-09-10T17-24-21')).toBe('2025-09-10');
    expect(stampDate('2026-11-24T02-57-41')).toBe('2026-11-24');
  });

  it('returns the date part of a key as well', () => {
    expect(stampDate(`2025-09-10T17-24-21|${V4}`)).toBe('2025-09-10');
  });
});
