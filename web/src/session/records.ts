// One rollout line as the transcript reads it, whatever its format generation (docs/api.md). The
// format rules are the server's own (src/rollout/reading/formats.ts, a module without imports
// that this bundle includes): the browser and the server cannot disagree on what a line is.
import { isObject, normalizeRecord, type RecordKind } from '../../../src/rollout/reading/formats.js';

export { isObject };

export type Json = Record<string, unknown>;

export interface RecordView {
  /** What the line is, as the server's normalizeRecord says: session_meta, response_item, event_msg, turn_context, ... */
  kind: RecordKind;
  payload: Json;
  timestamp: string | null;
  /** 1-based line number in the file. */
  line: number;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The line's kind and payload (null for a line that is not a JSON object), with its time and number. */
export function viewOf(record: unknown, line: number): RecordView | null {
  if (!isObject(record)) return null;
  const { kind, payload } = normalizeRecord(record);
  return { kind, payload, timestamp: str(record.timestamp), line };
}
