// No imports on purpose: the dashboard bundles this module through codex/formats.ts.

/** The same type as types.ts's JsonRecord, declared here so that this module imports nothing. */
export type JsonRecord = Record<string, unknown>;

export function isObject(value: unknown): value is JsonRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
