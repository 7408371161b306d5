import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageCounter } from '../src/rollout/sources/codex/usage-counter.js';
import type { FileResponses } from '../src/rollout/usage/ownership.js';
import type { Line } from './helper.js';

/** Usage lines as Codex writes them (envelope format), for building test sessions. */

/** A report's token figures when nothing was counted (every field of the usage layout, both agents'). */
export const ZERO_TOKENS = {
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningOutputTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  totalTokens: 0,
};

export type Usage = Record<string, number>;

/** A usage object: input (cached included), cached, output (reasoning included), reasoning. */
export const u = (input: number, cached: number, output: number, reasoning: number): Usage => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
});

export function tokenCount(
  timestamp: string,
  total: Usage | null,
  last: Usage | null,
  extra: { rateLimits?: unknown; window?: number } = {},
): Line {
  const info =
    total === null && last === null
      ? null
      : {
          ...(total ? { total_token_usage: total } : {}),
          ...(last ? { last_token_usage: last } : {}),
          model_context_window: extra.window ?? 258400,
        };
  return { timestamp, type: 'event_msg', payload: { type: 'token_count', info, rate_limits: extra.rateLimits ?? null } };
}

export function usageRecord(
  timestamp: string,
  threadId: string,
  responseId: string,
  usage: Usage,
  extra: { turnId?: string; model?: string } = {},
): Line {
  return {
    timestamp,
    type: 'token_usage_record',
    payload: {
      thread_id: threadId,
      session_id: threadId,
      response_id: responseId,
      ...(extra.turnId ? { turn_id: extra.turnId } : {}),
      ...(extra.model ? { model: extra.model } : {}),
      usage: { ...usage, cache_write_input_tokens: 0 },
    },
  };
}

export const turnContext = (timestamp: string, model: string, turnId?: string): Line => ({
  timestamp,
  type: 'turn_context',
  payload: { ...(turnId ? { turn_id: turnId } : {}), cwd: '/home/u/proj', model },
});

export const threadSettings = (timestamp: string, threadId: string, model: string): Line => ({
  timestamp,
  type: 'event_msg',
  payload: { type: 'thread_settings_applied', thread_id: threadId, thread_settings: { model } },
});

/** A session_meta line (a fork's first one names its parent; copied history starts with the parent's). */
export const sessionMeta = (timestamp: string, id: string, extra: Record<string, unknown> = {}): Line => ({
  timestamp,
  type: 'session_meta',
  payload: { id, timestamp, cwd: '/home/u/proj', originator: 'codex_cli_rs', cli_version: '0.169.0', source: 'cli', ...extra },
});

/** A UUIDv7 made at `iso`, its random part `n`: session and turn ids whose creation time matters. */
export function v7At(iso: string, n = 0): string {
  const hex = Date.parse(iso).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** One file's responses and rule 1 flag, read with the counter (what the index will store per file). */
export function fileResponses(home: string, rel: string, sessionId: string, createdAt: string): FileResponses {
  const counter = new UsageCounter();
  const responses = [];
  const lines = readFileSync(join(home, rel), 'utf8').split('\n');
  for (const [i, text] of lines.entries()) {
    if (text.trim() === '') continue;
    const r = counter.feed(JSON.parse(text) as Record<string, unknown>, i + 1);
    if (r !== null) responses.push(r);
  }
  return { file: rel, sessionId, createdAt, hasRecords: counter.state.hasRecords, responses };
}
