import { isObject, stringOrNull } from './formats.js';
import { MAX_SUMMARY_STRING, mtimeIso, toUtcIso } from '../common/fields.js';

export { MAX_SUMMARY_STRING, mtimeIso, toUtcIso } from '../common/fields.js';
import { stampToUtcIso } from './filename.js';
import type { GitInfo, JsonRecord, RolloutFile, SessionSource, SessionSummary } from '../../types.js';

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
    branch: capped(stringOrNull(value.branch)),
    commitHash: capped(stringOrNull(value.commit_hash)),
    repositoryUrl: capped(stringOrNull(value.repository_url)),
  };
}

function capped(value: string | null): string | null {
  if (value === null || value.length <= MAX_SUMMARY_STRING) return value;
  const cut = value.slice(0, MAX_SUMMARY_STRING);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut; // no lone high surrogate
}

/** The meta fields a summary uses: a meta can carry megabytes of instructions that need not stay in memory. */
export function metaFields(meta: JsonRecord): JsonRecord {
  const { timestamp, cwd, source, originator, cli_version, model_provider, git, forked_from_id } = meta;
  return { timestamp, cwd, source, originator, cli_version, model_provider, git, forked_from_id };
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
    title: capped(title),
    name: null,
    cwd: capped(stringOrNull(meta.cwd)),
    source: normalizeSource(meta.source),
    originator: capped(stringOrNull(meta.originator)),
    cliVersion: capped(stringOrNull(meta.cli_version)),
    modelProvider: capped(stringOrNull(meta.model_provider)) ?? DEFAULT_PROVIDER,
    git: gitInfo(meta.git),
    forkedFromId: capped(stringOrNull(meta.forked_from_id)),
    archived: file.archived,
    usage: null,
    agent: 'codex',
  };
}
