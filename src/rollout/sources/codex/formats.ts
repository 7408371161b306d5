// Imports only import-free modules: the dashboard (web/src/session/records.ts) bundles this
// module, so that the browser reads line formats with the server's one parser.
import { isObject, stringOrNull } from '../common/json.js';
import type { NormalizedRecord, RecordKind } from '../common/normalized-record.js';

export { isObject, stringOrNull };
export type { NormalizedRecord, RecordKind };

/** The same type as types.ts's JsonRecord, declared here so that this module imports nothing else. */
type JsonRecord = Record<string, unknown>;



function withoutRecordType(record: JsonRecord): JsonRecord {
  const { record_type: _ignored, ...rest } = record;
  return rest;
}

const ENVELOPE_KINDS: Record<string, RecordKind> = {
  session_meta: 'session_meta',
  response_item: 'response_item',
  event_msg: 'event_msg',
  // Envelope-only kinds that usage counting reads (src/rollout/usage/).
  turn_context: 'turn_context',
  token_usage_record: 'token_usage_record',
  compacted: 'compacted',
};

const RECORD_TYPE_KINDS: Record<string, RecordKind> = {
  session_meta: 'session_meta',
  response: 'response_item',
  event: 'event_msg',
  state: 'state',
};

/** A bare legacy meta line: an id and a timestamp, and none of the tags later lines carry. */
function isBareMeta(record: JsonRecord): boolean {
  return typeof record.id === 'string' && typeof record.timestamp === 'string' && record.type === undefined;
}

export function normalizeRecord(record: JsonRecord): NormalizedRecord {
  if (typeof record.type === 'string' && 'payload' in record) {
    return { kind: ENVELOPE_KINDS[record.type] ?? 'other', payload: isObject(record.payload) ? record.payload : {} };
  }
  const recordType = record.record_type;
  if (typeof recordType === 'string') {
    const kind = RECORD_TYPE_KINDS[recordType] ?? 'other';
    // record_type-era events may nest their body; response items and metas are flat.
    const nested = kind === 'event_msg' ? (record.payload ?? record.msg) : undefined;
    return { kind, payload: isObject(nested) ? nested : withoutRecordType(record) };
  }
  if (isBareMeta(record)) return { kind: 'session_meta', payload: record };
  if (typeof record.type === 'string') return { kind: 'response_item', payload: record };
  return { kind: 'other', payload: record };
}
