// Token usage of one file as SPEC §6 counts it: token_usage_record lines when the file has any
// (one per distinct thread/response), otherwise the deltas between token_count totals
// (a repeated total is a re-emission; a total that goes down restarts from last_token_usage).
import type { TokenCounts } from '../api/types.js';
import { isObject, num, str, type Json } from './records.js';

export function tokensOf(value: unknown): TokenCounts | null {
  if (!isObject(value)) return null;
  const input = num(value.input_tokens) ?? 0;
  const output = num(value.output_tokens) ?? 0;
  return {
    inputTokens: input,
    cachedInputTokens: num(value.cached_input_tokens) ?? 0,
    outputTokens: output,
    reasoningOutputTokens: num(value.reasoning_output_tokens) ?? 0,
    totalTokens: input + output,
  };
}

const FIELDS = ['inputTokens', 'cachedInputTokens', 'outputTokens', 'reasoningOutputTokens', 'totalTokens'] as const;

export function addTokens(a: TokenCounts | null, b: TokenCounts): TokenCounts {
  if (a === null) return { ...b };
  const sum = { ...a };
  for (const f of FIELDS) sum[f] += b[f];
  return sum;
}

function minus(a: TokenCounts, b: TokenCounts): TokenCounts {
  const diff = { ...a };
  for (const f of FIELDS) diff[f] -= b[f];
  return diff;
}

export class UsageCounter {
  /** True once the file has shown a token_usage_record: its token_count events then count nothing. */
  hasRecords = false;
  private previousTotal: TokenCounts | null = null;
  private readonly responses = new Set<string>();

  /** A token_usage_record payload: its usage, or null for a response already counted. */
  record(payload: Json): TokenCounts | null {
    const usage = tokensOf(payload.usage);
    if (usage === null) return null;
    const id = `${str(payload.thread_id) ?? ''}|${str(payload.response_id) ?? ''}`;
    if (this.responses.has(id)) return null;
    this.responses.add(id);
    this.hasRecords = true;
    return usage;
  }

  /** A token_count event payload: the tokens it adds, or null (no info, or a re-emission). */
  count(payload: Json): TokenCounts | null {
    if (!isObject(payload.info)) return null;
    const total = tokensOf(payload.info.total_token_usage);
    const last = tokensOf(payload.info.last_token_usage);
    if (total === null) return last;
    const previous = this.previousTotal;
    this.previousTotal = total;
    if (previous === null) return total;
    const delta = minus(total, previous);
    if (FIELDS.every((f) => delta[f] === 0)) return null;
    if (FIELDS.some((f) => delta[f] < 0)) return last ?? total;
    return delta;
  }
}
