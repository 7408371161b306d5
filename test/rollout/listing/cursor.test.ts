import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, startKey } from '../../../src/rollout/listing/cursor.js';
import { RolloutError, RolloutErrorKind } from '../../../src/rollout/errors.js';
import { parseRolloutName } from '../../../src/rollout/sources/codex/filename.js';
import type { SortOrder } from '../../../src/rollout/types.js';

const ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const KEY = `2026-11-24T02-57-41|${ID}`;

/** Runs `fn`, which must throw, and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function expectInvalidCursor(cursor: string, order: SortOrder): void {
  const err = thrown(() => decodeCursor(cursor, order));
  expect(err).toBeInstanceOf(RolloutError);
  expect((err as RolloutError).kind).toBe(RolloutErrorKind.InvalidCursor);
  expect((err as RolloutError).kind).toBe('InvalidCursor');
  expect((err as RolloutError).name).toBe('RolloutError');
}

describe('encodeCursor / decodeCursor', () => {
  it('encodes a desc cursor as exactly `<stamp>|<uuid>`', () => {
    expect(encodeCursor(KEY, 'desc')).toBe('2026-11-24T02-57-41|01a20b7c-dbe8-70c2-9828-678afb8f6bf7');
  });

  it('round-trips a desc cursor', () => {
    expect(decodeCursor(encodeCursor(KEY, 'desc'), 'desc')).toBe(KEY);
  });

  it('round-trips an asc cursor, which differs from the desc form', () => {
    const asc = encodeCursor(KEY, 'asc');
    expect(asc).not.toBe(KEY);
    expect(asc).toBe(`asc|${KEY}`);
    expect(decodeCursor(asc, 'asc')).toBe(KEY);
  });

  it('accepts a hand-written desc cursor in the documented form', () => {
    expect(decodeCursor('2025-09-10T17-24-21|5973b6c0-94b8-487b-a530-2aeb6098ae0e', 'desc')).toBe(
      '2025-09-10T17-24-21|5973b6c0-94b8-487b-a530-2aeb6098ae0e',
    );
  });

  it('lower-cases the uuid of a cursor (ids are case-insensitive)', () => {
    expect(decodeCursor(`2026-11-24T02-57-41|${ID.toUpperCase()}`, 'desc')).toBe(KEY);
    expect(decodeCursor(`asc|2026-11-24T02-57-41|${ID.toUpperCase()}`, 'asc')).toBe(KEY);
  });

  it('round-trips the key of every parsed file name, in both orders', () => {
    for (const name of [
      `rollout-2026-11-24T02-57-41-${ID}.jsonl`,
      `rollout-2025-05-07T00-00-00-${'5973B6C0-94B8-487B-A530-2AEB6098AE0E'}.jsonl`,
      `rollout-2024-02-29T23-59-59-${'00000000-0000-4000-8000-000000000000'}.jsonl`,
    ]) {
      const { key } = parseRolloutName(name)!;
      for (const order of ['desc', 'asc'] as const) {
        expect(decodeCursor(encodeCursor(key, order), order)).toBe(key);
      }
    }
  });

  it('rejects a desc cursor decoded for asc, and an asc cursor decoded for desc', () => {
    expectInvalidCursor(encodeCursor(KEY, 'desc'), 'asc');
    expectInvalidCursor(encodeCursor(KEY, 'asc'), 'desc');
  });

  it.each([
    ['empty', ''],
    ['no pipe', `2026-11-24T02-57-41${ID}`],
    ['only a stamp', '2026-11-24T02-57-41'],
    ['only a uuid', ID],
    ['a lone pipe', '|'],
    ['empty stamp', `|${ID}`],
    ['empty uuid', '2026-11-24T02-57-41|'],
    ['three parts', `2026-11-24T02-57-41|${ID}|x`],
    ['three parts, trailing pipe', `2026-11-24T02-57-41|${ID}|`],
    ['bad stamp (February 30)', `2025-02-30T10-00-00|${ID}`],
    ['bad stamp (hour 24)', `2025-03-01T24-00-00|${ID}`],
    ['bad stamp (ISO with colons)', `2026-11-24T02:57:41|${ID}`],
    ['bad stamp (ISO instant)', `2026-11-24T02:57:41.919Z|${ID}`],
    ['bad uuid (truncated)', '2026-11-24T02-57-41|01a20b7c-dbe8-70c2-9828-678afb8f6bf'],
    ['bad uuid (not hex)', '2026-11-24T02-57-41|01a20b7c-dbe8-70c2-9828-678afb8f6bfg'],
    ['bad uuid (no dashes)', '2026-11-24T02-57-41|01a20b7cdbe870c29828678afb8f6bf7'],
    ['swapped parts', `${ID}|2026-11-24T02-57-41`],
    ['path traversal', '../../etc/passwd'],
    ['path traversal with a pipe', `../../etc/passwd|${ID}`],
    ['leading whitespace', ` ${KEY}`],
    ['trailing newline', `${KEY}\n`],
    ['url-encoded pipe', `2026-11-24T02-57-41%7C${ID}`],
    ['very long garbage', 'x'.repeat(1_000_000)],
    ['very long pipes', '|'.repeat(100_000)],
    ['very long uuid part', `2026-11-24T02-57-41|${ID}${'0'.repeat(100_000)}`],
  ])('rejects a malformed desc cursor (%s) with InvalidCursor', (_what, cursor) => {
    expectInvalidCursor(cursor, 'desc');
  });

  it.each([
    ['bare prefix', 'asc|'],
    ['prefix and stamp only', 'asc|2026-11-24T02-57-41'],
    ['upper-case prefix', `ASC|${KEY}`],
    ['doubled prefix', `asc|asc|${KEY}`],
    ['bad stamp', `asc|2025-13-01T00-00-00|${ID}`],
    ['bad uuid', 'asc|2026-11-24T02-57-41|not-a-uuid'],
    ['three parts', `asc|${KEY}|x`],
    ['path traversal', 'asc|../../etc/passwd'],
    ['very long', `asc|${'a'.repeat(500_000)}`],
  ])('rejects a malformed asc cursor (%s) with InvalidCursor', (_what, cursor) => {
    expectInvalidCursor(cursor, 'asc');
  });

  it('rejects the desc form of a cursor that starts like an asc one', () => {
    expectInvalidCursor(`asc|${KEY}`, 'desc');
  });
});

describe('startKey', () => {
  it('sorts before every real key in walk order', () => {
    const keys = [
      KEY,
      '2000-01-01T00-00-00|00000000-0000-4000-8000-000000000000',
      '9999-12-31T23-59-58|ffffffff-ffff-4fff-bfff-ffffffffffff',
    ];
    for (const key of keys) {
      expect(startKey('desc') > key).toBe(true);
      expect(startKey('asc') < key).toBe(true);
    }
  });

  it('has the documented values', () => {
    expect(startKey('desc')).toBe('9999-12-31T23-59-59|ffffffff-ffff-ffff-ffff-ffffffffffff');
    expect(startKey('asc')).toBe('0000-01-01T00-00-00|00000000-0000-0000-0000-000000000000');
  });
});
