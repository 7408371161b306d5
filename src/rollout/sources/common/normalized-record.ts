// No imports on purpose: the dashboard bundles this module through codex/formats.ts.

type JsonRecord = Record<string, unknown>;

/**
 * One line of any format generation, reduced to what summaries and usage counting need. The raw
 * record is always served untouched; this view only drives metadata, titles and usage.
 *
 * - envelope (Sep 2025 →): `{timestamp, type, payload}`; `type` is the kind.
 * - record_type era: `{record_type: "session_meta" | "response" | "event" | "state", ...fields}`.
 * - legacy (spring 2025): a bare meta object first, then bare response items and
 *   `{record_type: "state"}` markers.
 */
export type RecordKind =
  | 'session_meta'
  | 'response_item'
  | 'event_msg'
  | 'turn_context'
  | 'token_usage_record'
  | 'compacted'
  | 'state'
  | 'other';

export interface NormalizedRecord {
  kind: RecordKind;
  payload: JsonRecord;
}
