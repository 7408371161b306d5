import { createHash } from 'node:crypto';
import { isObject, stringOrNull } from '../common/json.js';
import {
  anthropicPriceOf,
  ANTHROPIC_PRICES,
  FAST_SUFFIX,
  type AnthropicModelPrice,
  type AnthropicPriceTable,
} from './price-table.js';
import { canonicalTime } from '../canonical-time.js';
import { MAX_COUNT, type ClaudeTokenCounts } from '../common/tokens.js';
import { boundedKey, UNKNOWN_MODEL, isFileLocalKey, type ClaudeResponse } from '../common/usage-response.js';

export { CLAUDE_TOKEN_FIELDS, zeroClaudeTokens, type ClaudeTokenCounts } from '../common/tokens.js';
export { UNKNOWN_MODEL, isFileLocalKey, type ClaudeResponse } from '../common/usage-response.js';
import type { JsonRecord } from '../../types.js';
import { assistantMessage, isPrompt, realModel } from './records.js';

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.floor(value), MAX_COUNT) : 0;
}

/**
 * An Anthropic usage object's counts; null when `value` is not an object. Cache writes are
 * split by lifetime where the usage splits them (`cache_creation.ephemeral_1h_input_tokens`);
 * what the split does not account for of `cache_creation_input_tokens` is 5-minute (the
 * default lifetime, and all there is in usage written before the split existed).
 */
export function readClaudeTokens(value: unknown): ClaudeTokenCounts | null {
  if (!isObject(value)) return null;
  const split = isObject(value.cache_creation) ? value.cache_creation : {};
  const oneHour = count(split.ephemeral_1h_input_tokens);
  const fiveMinutes = count(split.ephemeral_5m_input_tokens);
  const written = Math.max(count(value.cache_creation_input_tokens), oneHour + fiveMinutes);
  return {
    inputTokens: count(value.input_tokens),
    cacheWrite5mTokens: written - oneHour,
    cacheWrite1hTokens: oneHour,
    cacheReadTokens: count(value.cache_read_input_tokens),
    outputTokens: count(value.output_tokens),
  };
}

export const claudeTotal = (t: ClaudeTokenCounts): number =>
  t.inputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens + t.cacheReadTokens + t.outputTokens;

/** Cost in USD: every token kind at its own price per 1M tokens. */
export function claudeCostOf(p: AnthropicModelPrice, t: ClaudeTokenCounts): number {
  return (
    (t.inputTokens * p.input +
      t.cacheWrite5mTokens * p.cacheWrite5m +
      t.cacheWrite1hTokens * p.cacheWrite1h +
      t.cacheReadTokens * p.cacheRead +
      t.outputTokens * p.output) /
    1_000_000
  );
}

/** The cost of `t` tokens of `model`, or null when the model has no price (never a silent $0). */
export function claudeCost(model: string, t: ClaudeTokenCounts, table: AnthropicPriceTable = ANTHROPIC_PRICES): number | null {
  const p = anthropicPriceOf(model, table);
  return p === null ? null : claudeCostOf(p, t);
}

/**
 * What the counter remembers between lines: JSON-serialisable, so counting resumes after an
 * append. `seen` grows with the file: an index stores `checkpoint` (without it) and gives it
 * back from the keys it holds (withClaudeSeenKeys), as it does for Codex (UsageCounter.checkpoint).
 */
export interface ClaudeCounterState {
  v: 1;
  lastTimestamp: string | null;
  turnId: string | null;
  /** 16-character digests of the `<key>|<sidechain>` already returned from this file. */
  seen: string[];
}

export const initialClaudeCounterState = (): ClaudeCounterState => ({ v: 1, lastTimestamp: null, turnId: null, seen: [] });

/** A stored state, or null when it is not one this version wrote (then count the file from its start). */
export function restoreClaudeCounterState(value: unknown): ClaudeCounterState | null {
  return isObject(value) && value.v === 1 && Array.isArray(value.seen) ? (structuredClone(value) as unknown as ClaudeCounterState) : null;
}

// The first 12 bytes' base64url: the first 16 characters of the whole digest's, as a string of
// its own (a slice would keep the whole digest alive: twice the memory per key).
const digest = (key: string): string => createHash('sha256').update(key).digest().toString('base64url', 0, 12);

/** A response the file has returned already, as a store keeps it: its key and whether that copy was on a sidechain. */
export interface ClaudeSeenKey {
  responseKey: string;
  sidechain: boolean;
}

/** `state` with these responses seen: counting goes on from a checkpoint without returning them again. */
export function withClaudeSeenKeys(state: ClaudeCounterState, keys: readonly ClaudeSeenKey[]): ClaudeCounterState {
  const digests = keys.filter((k) => !isFileLocalKey(k.responseKey)).map((k) => digest(`${k.responseKey}|${k.sidechain}`));
  return digests.length === 0 ? state : { ...state, seen: [...state.seen, ...digests] };
}

/**
 * Counts one Claude transcript's responses, line by line in file order. Claude Code writes one
 * API response as one line per content block, all with the same `message.id` and `requestId`
 * and the same usage, so a response is counted at its first line and its other lines are
 * copies. A copy on a sidechain line and one on a main-chain line are both returned (once
 * each): which one counts is decided across all files (countClaudeResponses). API error lines
 * (`isApiErrorMessage`, model `<synthetic>`, zero usage) count nothing.
 */
export class ClaudeUsageCounter {
  private readonly s: ClaudeCounterState;
  private readonly seen: Set<string>;
  private lastRaw: string | null = null;

  constructor(state: ClaudeCounterState = initialClaudeCounterState()) {
    this.s = structuredClone({ ...state, seen: [] });
    this.seen = new Set(state.seen);
  }

  get state(): ClaudeCounterState {
    return { ...this.checkpoint, seen: [...this.seen] };
  }

  /** The state without `seen`: its size does not grow with the file (see ClaudeCounterState). */
  get checkpoint(): ClaudeCounterState {
    return { ...this.s, seen: [] };
  }

  feed(record: JsonRecord, lineNo: number): ClaudeResponse | null {
    const at = typeof record.timestamp === 'string' ? canonicalTime(record.timestamp) : null;
    if (at !== null) this.s.lastTimestamp = at;
    if (isPrompt(record)) {
      this.s.turnId = stringOrNull(record.promptId) ?? stringOrNull(record.uuid) ?? this.s.turnId;
      return null;
    }
    const message = assistantMessage(record);
    if (message === null || record.isApiErrorMessage === true) return null;
    const counts = readClaudeTokens(message.usage);
    if (counts === null) return null;
    const sidechain = record.isSidechain === true;
    const messageId = stringOrNull(message.id);
    const requestId = stringOrNull(record.requestId);
    const responseKey = messageId !== null && requestId !== null ? boundedKey(`${messageId}:${requestId}`) : `#L${lineNo}`;
    if (!isFileLocalKey(responseKey)) {
      const raw = `${responseKey}|${sidechain}`;
      // The split lines of one response follow each other: a repeat of the last key was seen (no digest to compute).
      if (raw === this.lastRaw) return null;
      this.lastRaw = raw;
      const key = digest(raw);
      if (this.seen.has(key)) return null;
      this.seen.add(key);
    }
    const model = realModel(message.model);
    if (model === null && claudeTotal(counts) === 0) return null; // a synthetic line without the error flag
    // Fast mode is billed at a multiple of the model's price: it is counted as a model of its own (ccusage's name too).
    const fast = isObject(message.usage) && message.usage.speed === 'fast' ? FAST_SUFFIX : '';
    return {
      responseKey,
      sidechain,
      lineNo,
      at: this.s.lastTimestamp,
      model: `${model ?? UNKNOWN_MODEL}${fast}`,
      turnId: this.s.turnId,
      ...counts,
      totalTokens: claudeTotal(counts),
    };
  }
}

/** One file's responses as its counter returned them, with what ownership orders files by. */
export interface ClaudeFileResponses {
  /** Names the file (its path relative to the Claude home). */
  file: string;
  /** The session's start (ISO 8601); "the oldest file" is the smallest, then the path. */
  createdAt: string;
  responses: readonly ClaudeResponse[];
}

/**
 * Which responses each file counts, over every Claude file of the home (rules 1-2 of
 * docs/claude.md): one response per distinct `(message.id, requestId)` across all files (the
 * key ccusage uses too); a main-chain copy is preferred over a sidechain copy (our rule:
 * ccusage has none); among equals, the oldest file's (then the path's, then the first line's).
 * Keys local to a line (a response without ids) always stay with their file.
 */
export function countClaudeResponses(files: readonly ClaudeFileResponses[]): Map<string, ClaudeResponse[]> {
  const ordered = [...files].sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
  );
  const owner = new Map<string, { file: string; response: ClaudeResponse }>();
  for (const f of ordered) {
    for (const r of f.responses) {
      if (isFileLocalKey(r.responseKey)) continue;
      const held = owner.get(r.responseKey);
      if (held === undefined || (held.response.sidechain && !r.sidechain)) owner.set(r.responseKey, { file: f.file, response: r });
    }
  }
  const counted = new Map<string, ClaudeResponse[]>();
  for (const f of files) {
    counted.set(
      f.file,
      f.responses.filter((r) => isFileLocalKey(r.responseKey) || owner.get(r.responseKey)?.response === r),
    );
  }
  return counted;
}
