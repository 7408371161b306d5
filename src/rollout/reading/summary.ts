import { DateTime } from 'luxon';
import { isObject, stringOrNull } from './formats.js';
import { stampToUtcIso } from '../files/filename.js';
import type { GitInfo, JsonRecord, RolloutFile, SessionSource, SessionSummary } from '../types.js';

const PLAIN_SOURCES = new Set<string>(['cli', 'vscode', 'exec', 'mcp']);
/** Codex treats a session without a model provider as one of the built-in OpenAI provider. */
export const DEFAULT_PROVIDER = 'openai';

/**
 * `source` as one of cli, vscode, exec, mcp, subagent, custom or unknown. Codex writes plain
 * strings and tagged objects (`{"subagent": ...}`, `{"custom": ...}`); anything else, and a
 * missing source (files older than the field), is `unknown`.
 */
export function normalizeSource(value: unknown): SessionSource {
  if (typeof value === 'string') return PLAIN_SOURCES.has(value) ? (value as SessionSource) : 'unknown';
  if (isObject(value)) {
    if ('subagent' in value) return 'subagent';
    if ('custom' in value) return 'custom';
  }
  return 'unknown';
}

function gitInfo(value: unknown): GitInfo | null {
  if (!isObject(value)) return null;
  return {
    branch: stringOrNull(value.branch),
    commitHash: stringOrNull(value.commit_hash),
    repositoryUrl: stringOrNull(value.repository_url),
  };
}

/** ISO 8601 in UTC with milliseconds, or null when `value` is not a timestamp. */
export function toUtcIso(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  return parsed.isValid ? parsed.toUTC().toISO() : null;
}

export function mtimeIso(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs)).toISOString();
}

/** The summary of a file from its canonical (first) session meta. */
export function buildSummary(
  file: RolloutFile,
  meta: JsonRecord,
  title: string | null,
  stat: { size: number; mtimeMs: number },
): SessionSummary {
  return {
    id: file.id,
    path: file.relPath,
    createdAt: toUtcIso(meta.timestamp) ?? stampToUtcIso(file.stamp),
    updatedAt: mtimeIso(stat.mtimeMs),
    sizeBytes: stat.size,
    title,
    name: null,
    cwd: stringOrNull(meta.cwd),
    source: normalizeSource(meta.source),
    originator: stringOrNull(meta.originator),
    cliVersion: stringOrNull(meta.cli_version),
    modelProvider: stringOrNull(meta.model_provider) ?? DEFAULT_PROVIDER,
    git: gitInfo(meta.git),
    forkedFromId: stringOrNull(meta.forked_from_id),
    archived: file.archived,
    usage: null,
  };
}
