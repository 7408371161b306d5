// One rollout line as the transcript reads it, whatever its format generation (SPEC §1):
// envelope {timestamp, type, payload}, the record_type era, or the legacy bare objects.
// The server returns records as written, so the reader does this itself.

export type Json = Record<string, unknown>;

export interface RecordView {
  /** Envelope type: session_meta, response_item, event_msg, turn_context, compacted, token_usage_record, ... */
  type: string;
  payload: Json;
  timestamp: string | null;
  /** 1-based line number in the file. */
  line: number;
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const RECORD_TYPES: Record<string, string> = {
  session_meta: 'session_meta',
  response: 'response_item',
  event: 'event_msg',
  state: 'state',
};

export function viewOf(record: unknown, line: number): RecordView | null {
  if (!isObject(record)) return null;
  const timestamp = str(record.timestamp);
  if (typeof record.type === 'string' && 'payload' in record) {
    return { type: record.type, payload: isObject(record.payload) ? record.payload : {}, timestamp, line };
  }
  const recordType = str(record.record_type);
  if (recordType !== null) {
    const type = RECORD_TYPES[recordType] ?? recordType;
    const nested = type === 'event_msg' ? (record.payload ?? record.msg) : undefined;
    return { type, payload: isObject(nested) ? nested : record, timestamp, line };
  }
  // Legacy: the first line is a bare meta object; later lines are bare response items.
  if (line === 1 && typeof record.id === 'string' && record.type === undefined)
    return { type: 'session_meta', payload: record, timestamp, line };
  if (typeof record.type === 'string') return { type: 'response_item', payload: record, timestamp, line };
  return { type: 'unknown', payload: record, timestamp, line };
}
