import { createHash } from 'node:crypto';
import type { ClaudeTokenCounts, TokenCounts } from './tokens.js';

// A counted response in each source's layout (docs/claude.md, "Usage rules"): Codex's input
// includes cached input; Claude's excludes cache tokens and splits cache writes by lifetime.

/** Where a response's counts come from: a `token_usage_record` line, or `token_count` events. */
export type UsageSource = 'record' | 'token_count';

/** One model response, counted (docs/usage.md). */
export interface UsageResponse extends TokenCounts {
  /**
   * `<thread_id>/<response_id>` for a token_usage_record that names both: the same response
   * in another file has the same key (rule 6). Otherwise a key local to the file, `#L<line>`.
   */
  responseKey: string;
  /** The thread the response belongs to: the record's thread_id, else the file's session id. */
  threadId: string | null;
  /** 1-based line number of the usage line. */
  lineNo: number;
  /** The usage line's timestamp as written (rule 5); a line without one takes the last one before it. */
  at: string | null;
  model: string;
  totalTokens: number;
  turnId: string | null;
  source: UsageSource;
  /**
   * A Claude response (its source is then `record`): whether this copy is on a sidechain (a
   * sub-agent's line); a main-chain copy of the same response is preferred (docs/claude.md).
   * Absent for Codex.
   */
  sidechain?: boolean;
}

export const UNKNOWN_MODEL = 'unknown';

/**
 * Past this length a shared response key is its digest instead: V8 hashes a string of over 16,383
 * characters by its length alone, so a Set or Map of a hostile file's long ids of one length
 * compared whole strings on every lookup (1,500 ids of 50 KB: 17 s of CPU for one count).
 */
const MAX_KEY_CHARS = 256;

/** `key`, or `~` and its SHA-256 when it is longer than MAX_KEY_CHARS (the same in every file that carries it). */
export const boundedKey = (key: string): string =>
  key.length <= MAX_KEY_CHARS ? key : `~${createHash('sha256').update(key).digest('base64url')}`;

/** Keys of responses that only their own file knows (no response id): never shared across files. */
export const isFileLocalKey = (key: string): boolean => key.startsWith('#');

/** One Anthropic API response, counted (sources/claude/usage-counter.ts). */
export interface ClaudeResponse extends ClaudeTokenCounts {
  /** `<message.id>:<requestId>`, the same in every file that carries the response; `#L<line>` when a line lacks either id. */
  responseKey: string;
  /** The line is a sub-agent's (`isSidechain: true`): a main-chain copy of the same response is preferred. */
  sidechain: boolean;
  lineNo: number;
  /** The line's timestamp (canonical ISO); a line without one takes the last one before it. */
  at: string | null;
  model: string;
  /** The prompt (`promptId`, else the prompt line's `uuid`) whose turn the response answers. */
  turnId: string | null;
  /** input + cache writes + cache reads + output: every token the response was billed for (ccusage's total). */
  totalTokens: number;
}

/** A counted response of either source; Claude's are told apart by their cache-write fields. */
export type AnyUsageResponse = UsageResponse | ClaudeResponse;

export const isClaudeResponse = (r: AnyUsageResponse): r is ClaudeResponse => 'cacheReadTokens' in r;
