import { stringOrNull } from '../common/json.js';
import { MAX_SUMMARY_STRING, mtimeIso, toUtcIso } from '../common/fields.js';
import type { JsonRecord, RolloutFile, SessionSource, SessionSummary } from '../../types.js';
import type { ClaudeFile } from './discovery.js';
import { assistantMessage, promptTitle, realModel, titleRecordName } from './records.js';

/** What Claude sessions report as their model provider. */
export const CLAUDE_PROVIDER = 'anthropic';

/** Facts of a Claude session that SessionSummary has no field for yet (the lead decides where they go). */
export interface ClaudeSessionFacts {
  agent: 'claude';
  /** The first real model the session's assistant lines name (not `<synthetic>`). */
  model: string | null;
  /** Every model named so far, in order of first use. */
  models: string[];
  /** Claude Code's `entrypoint` as written (`cli`, `sdk-cli`, `claude-vscode`, ...). */
  entrypoint: string | null;
  parentId: string | null;
  agentId: string | null;
  /** The last `last-prompt` record's text: what `--continue` would resume from. */
  lastPrompt: string | null;
}

/**
 * `entrypoint` as the API's `source`: the terminal UI is `cli`; `claude -p` (written as
 * `sdk-cli`) runs non-interactively like `codex exec`, so `exec`; the IDE extension is
 * `vscode`; the SDKs are `custom`; a sub-agent is `subagent` whatever started it.
 */
export function claudeSource(entrypoint: string | null, isSubagent: boolean): SessionSource {
  if (isSubagent) return 'subagent';
  switch (entrypoint) {
    case 'cli':
      return 'cli';
    case 'sdk-cli':
      return 'exec';
    case 'claude-vscode':
    case 'claude-desktop':
      return 'vscode';
    case 'sdk-ts':
    case 'sdk-py':
      return 'custom';
    default:
      return 'unknown';
  }
}

function capped(value: string | null): string | null {
  if (value === null || value.length <= MAX_SUMMARY_STRING) return value;
  const cut = value.slice(0, MAX_SUMMARY_STRING);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** Models a session may name before the list stops growing (a hostile file cannot grow it without end). */
const MAX_MODELS = 32;

/**
 * Reads a Claude transcript's records in file order and keeps what its summary needs. Unlike
 * Codex there is no meta line: the id, cwd, branch and version are repeated on every
 * user/assistant line, so the first line that carries each wins. The title is the first real
 * prompt (records.ts); the name is the latest title record of the best kind seen anywhere in
 * the file (a rename over Claude's `ai-title` over an old `summary`): the head read feeds it the
 * title records of its name windows too (reader.ts, `seekName`).
 */
export class ClaudeSessionScanner {
  private firstAt: string | null = null;
  private cwd: string | null = null;
  private branch: string | null = null;
  private version: string | null = null;
  private entrypoint: string | null = null;
  private sessionId: string | null = null;
  private foundTitle: string | null = null;
  private named: { name: string; rank: number } | null = null;
  private lastPrompt: string | null = null;
  private readonly modelsSeen: string[] = [];

  /** True once the title is known: a head read may stop here. */
  get titleDone(): boolean {
    return this.foundTitle !== null;
  }

  get title(): string | null {
    return this.foundTitle;
  }

  /** True once an assistant line has named a real model (the list shows it). */
  get modelKnown(): boolean {
    return this.modelsSeen.length > 0;
  }

  feed(record: JsonRecord): void {
    this.firstAt ??= toUtcIso(record.timestamp);
    this.sessionId ??= stringOrNull(record.sessionId);
    if (record.type === 'user' || record.type === 'assistant' || record.type === 'system' || record.type === 'attachment') {
      this.cwd ??= capped(stringOrNull(record.cwd));
      this.branch ??= capped(stringOrNull(record.gitBranch));
      this.version ??= capped(stringOrNull(record.version));
      this.entrypoint ??= capped(stringOrNull(record.entrypoint));
    }
    if (this.foundTitle === null) this.foundTitle = capped(promptTitle(record));
    const model = realModel(assistantMessage(record)?.model);
    if (model !== null && !this.modelsSeen.includes(model) && this.modelsSeen.length < MAX_MODELS) {
      this.modelsSeen.push(capped(model) as string);
    }
    this.feedName(record);
    if (record.type === 'last-prompt') this.lastPrompt = capped(stringOrNull(record.lastPrompt)) ?? this.lastPrompt;
  }

  /** Takes only what a title record says: the name a later line gives (reader.ts reads past the head for it). */
  feedName(record: JsonRecord): void {
    const named = titleRecordName(record);
    if (named !== null && (this.named === null || named.rank >= this.named.rank)) {
      this.named = { name: capped(named.name) as string, rank: named.rank };
    }
  }

  /**
   * The session's summary in the API's shape. `createdAt` is the first timestamp in the file
   * (Claude Code writes none in the name); a file with none takes its mtime.
   */
  summary(file: ClaudeFile, stat: { size: number; mtimeMs: number }): { summary: SessionSummary; facts: ClaudeSessionFacts } {
    const isSubagent = file.agentId !== null;
    const summary: SessionSummary = {
      id: file.id,
      path: file.relPath,
      createdAt: this.firstAt ?? mtimeIso(stat.mtimeMs),
      updatedAt: mtimeIso(stat.mtimeMs),
      sizeBytes: stat.size,
      title: this.foundTitle,
      name: this.named?.name ?? null,
      cwd: this.cwd,
      source: claudeSource(this.entrypoint, isSubagent),
      originator: this.entrypoint,
      cliVersion: this.version,
      modelProvider: CLAUDE_PROVIDER,
      git: this.branch === null ? null : { branch: this.branch, commitHash: null, repositoryUrl: null },
      // A sub-agent is linked to its parent the way a Codex fork is.
      forkedFromId: file.parentId,
      archived: false,
      usage: null,
      agent: 'claude',
      model: this.modelsSeen[0] ?? null,
    };
    const facts: ClaudeSessionFacts = {
      agent: 'claude',
      model: this.modelsSeen[0] ?? null,
      models: [...this.modelsSeen],
      entrypoint: this.entrypoint,
      parentId: file.parentId,
      agentId: file.agentId,
      lastPrompt: this.lastPrompt,
    };
    return { summary, facts };
  }
}

/** `YYYY-MM-DDThh-mm-ss` of an ISO instant, in UTC. */
export function utcStamp(iso: string): string {
  return iso.slice(0, 19).replaceAll(':', '-');
}

/**
 * The ordering key of a Claude session, in the form of a Codex file's (`<stamp>|<id>`), so that
 * both sources interleave in one keyset order: the stamp is the session's start (its first
 * timestamp) in UTC at second precision. Codex stamps are the writer's local time; the lead
 * decides whether the merged order compares stamps or `createdAt` (see docs/claude.md).
 */
export function claudeRolloutFile(file: ClaudeFile, createdAt: string): RolloutFile {
  const stamp = utcStamp(createdAt);
  return { key: `${stamp}|${file.id}`, stamp, id: file.id, absPath: file.absPath, relPath: file.relPath, archived: false };
}
