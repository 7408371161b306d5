import { describe, expect, it } from 'vitest';
import { isObject, normalizeRecord, stringOrNull } from '../../../../src/rollout/sources/codex/formats.js';
import { envelopeLines, legacyLines, recordTypeLines } from '../../../helper.js';

const TS = '2025-09-10T17:24:21.123Z';
const ID = '5973b6c0-94b8-487b-a530-2aeb6098ae0e';

describe('normalizeRecord: envelope generation', () => {
  it.each([
    ['session_meta', 'session_meta'],
    ['response_item', 'response_item'],
    ['event_msg', 'event_msg'],
    ['turn_context', 'turn_context'],
    ['token_usage_record', 'token_usage_record'],
    ['compacted', 'compacted'],
  ] as const)('maps type %s to kind %s with the payload', (type, kind) => {
    const payload = { id: ID, type: 'message', x: 1 };
    const record = { timestamp: TS, type, payload };
    const n = normalizeRecord(record);
    expect(n).toEqual({ kind, payload: { id: ID, type: 'message', x: 1 } });
    expect(n.payload).toBe(payload);
  });

  it.each(['world_state', 'some_future_kind'])(
    'maps the other kind %s to "other", carrying the payload untouched',
    (type) => {
      const payload = { full: true, state: { a: [1, 2] } };
      const n = normalizeRecord({ timestamp: TS, ordinal: 4, type, payload });
      expect(n.kind).toBe('other');
      expect(n.payload).toBe(payload);
      expect(n.payload).toEqual({ full: true, state: { a: [1, 2] } });
    },
  );

  it('ignores the ordinal field of the newest files', () => {
    const payload = { type: 'user_message', message: 'hi' };
    expect(normalizeRecord({ timestamp: TS, ordinal: 12, type: 'event_msg', payload })).toEqual({ kind: 'event_msg', payload });
  });

  it('does not modify the raw record', () => {
    const record = { timestamp: TS, type: 'session_meta', payload: { id: ID, timestamp: TS } };
    const copy = structuredClone(record);
    normalizeRecord(record);
    expect(record).toEqual(copy);
  });

  it('normalises every line of an envelope fixture', () => {
    const kinds = envelopeLines({ stamp: '2025-09-10T17-24-21', id: ID, title: 'hello' }).map(
      (l) => normalizeRecord(l as Record<string, unknown>).kind,
    );
    expect(kinds).toEqual(['session_meta', 'response_item', 'response_item', 'event_msg', 'response_item']);
  });
});

describe('normalizeRecord: record_type generation', () => {
  it('maps record_type session_meta to a flat meta payload without the tag', () => {
    const record = { record_type: 'session_meta', id: ID, timestamp: TS, cwd: '/p', instructions: null };
    expect(normalizeRecord(record)).toEqual({
      kind: 'session_meta',
      payload: { id: ID, timestamp: TS, cwd: '/p', instructions: null },
    });
    expect(record.record_type).toBe('session_meta');
  });

  it('maps record_type response to a flat response item without the tag', () => {
    const record = { record_type: 'response', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] };
    expect(normalizeRecord(record)).toEqual({
      kind: 'response_item',
      payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] },
    });
  });

  it('maps record_type event with a nested payload to that payload', () => {
    const payload = { type: 'user_message', message: 'hi', kind: 'plain' };
    const n = normalizeRecord({ record_type: 'event', payload });
    expect(n).toEqual({ kind: 'event_msg', payload: { type: 'user_message', message: 'hi', kind: 'plain' } });
    expect(n.payload).toBe(payload);
  });

  it('maps record_type event with a nested msg to that msg', () => {
    const msg = { type: 'user_message', message: 'hi' };
    expect(normalizeRecord({ record_type: 'event', id: '1', msg })).toEqual({ kind: 'event_msg', payload: msg });
  });

  it('maps a flat record_type event to its fields without the tag', () => {
    expect(normalizeRecord({ record_type: 'event', type: 'user_message', message: 'hi' })).toEqual({
      kind: 'event_msg',
      payload: { type: 'user_message', message: 'hi' },
    });
  });

  it('maps record_type state to a content-free state marker', () => {
    expect(normalizeRecord({ record_type: 'state' })).toEqual({ kind: 'state', payload: {} });
  });

  it('maps an unknown record_type to "other"', () => {
    expect(normalizeRecord({ record_type: 'telemetry', a: 1 })).toEqual({ kind: 'other', payload: { a: 1 } });
  });

  it('treats an untagged line of that era as a response item', () => {
    const record = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] };
    expect(normalizeRecord(record)).toEqual({ kind: 'response_item', payload: record });
  });

  it('normalises every line of a record_type fixture', () => {
    const kinds = recordTypeLines({ stamp: '2025-07-01T10-00-00', id: ID, title: 'hi' }).map(
      (l) => normalizeRecord(l as Record<string, unknown>).kind,
    );
    expect(kinds).toEqual(['session_meta', 'response_item', 'state', 'event_msg', 'response_item']);
  });
});

describe('normalizeRecord: legacy generation', () => {
  it('maps a bare meta object to session_meta with the whole object as payload', () => {
    const record = { id: ID, timestamp: TS, instructions: 'be brief', git: { branch: 'main' } };
    const n = normalizeRecord(record);
    expect(n).toEqual({ kind: 'session_meta', payload: { id: ID, timestamp: TS, instructions: 'be brief', git: { branch: 'main' } } });
    expect(n.payload).toBe(record);
  });

  it('maps a bare response item to response_item with the whole object as payload', () => {
    const record = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] };
    const n = normalizeRecord(record);
    expect(n).toEqual({ kind: 'response_item', payload: record });
    expect(n.payload).toBe(record);
  });

  it('maps a bare function call (which has an id but a type) to response_item, not meta', () => {
    const record = { type: 'function_call', id: 'fc_1', name: 'shell', arguments: '{}', call_id: 'c1', timestamp: TS };
    expect(normalizeRecord(record).kind).toBe('response_item');
  });

  it('does not take an object without an id or a timestamp for a meta', () => {
    expect(normalizeRecord({ id: ID })).toEqual({ kind: 'other', payload: { id: ID } });
    expect(normalizeRecord({ timestamp: TS })).toEqual({ kind: 'other', payload: { timestamp: TS } });
    expect(normalizeRecord({ id: 5, timestamp: TS })).toEqual({ kind: 'other', payload: { id: 5, timestamp: TS } });
  });

  it('maps anything unrecognisable to "other"', () => {
    expect(normalizeRecord({})).toEqual({ kind: 'other', payload: {} });
    expect(normalizeRecord({ foo: 'bar' })).toEqual({ kind: 'other', payload: { foo: 'bar' } });
  });

  it('normalises every line of a legacy fixture', () => {
    const kinds = legacyLines({ stamp: '2025-04-01T10-00-00', id: ID, title: 'hi' }).map(
      (l) => normalizeRecord(l as Record<string, unknown>).kind,
    );
    expect(kinds).toEqual(['session_meta', 'state', 'response_item', 'response_item', 'state', 'response_item']);
  });
});

describe('isObject / stringOrNull', () => {
  it('isObject is true only for plain non-array objects', () => {
    expect(isObject({})).toBe(true);
    expect(isObject({ a: 1 })).toBe(true);
    expect(isObject([])).toBe(false);
    expect(isObject(null)).toBe(false);
    expect(isObject('x')).toBe(false);
    expect(isObject(1)).toBe(false);
    expect(isObject(undefined)).toBe(false);
  });

  it('stringOrNull keeps non-empty strings only', () => {
    expect(stringOrNull('main')).toBe('main');
    expect(stringOrNull(' ')).toBe(' ');
    expect(stringOrNull('')).toBeNull();
    expect(stringOrNull(null)).toBeNull();
    expect(stringOrNull(undefined)).toBeNull();
    expect(stringOrNull(3)).toBeNull();
    expect(stringOrNull({ a: 'b' })).toBeNull();
  });
});
