// The token counts of a response in each source's layout: the usage layers and the index store
// both (docs/claude.md, "Usage rules").

/**
 * The four token counts Codex reports for a response (rule 3): cached input is part of input,
 * reasoning is part of output. `total_tokens` as written is not kept: Codex's
 * fill_to_context_window writes a total that is only `total_tokens`, which is no usage at all;
 * totalTokens is always input + output. `cache_write_input_tokens` (newer files) is not billed
 * separately by OpenAI and is ignored.
 */
export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  /**
   * Input written to the prompt cache with a 5-minute / 1-hour lifetime (Claude; part of
   * inputTokens, billed at their own prices). Absent (0) for Codex, whose counter and store keep
   * the four fields above; every aggregate shown by the API carries both (usage/tally.ts).
   */
  cacheWrite5mTokens?: number;
  cacheWrite1hTokens?: number;
}

/** The cache-write fields every aggregate carries beside TOKEN_FIELDS (0 for Codex). */
export const CACHE_WRITE_FIELDS = ['cacheWrite5mTokens', 'cacheWrite1hTokens'] as const;

export const TOKEN_FIELDS = ['inputTokens', 'cachedInputTokens', 'outputTokens', 'reasoningOutputTokens'] as const;

export const zeroTokens = (): TokenCounts => ({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0 });

export function addInto(sum: TokenCounts, t: TokenCounts): void {
  for (const f of TOKEN_FIELDS) sum[f] += t[f];
  for (const f of CACHE_WRITE_FIELDS) if (t[f] !== undefined) sum[f] = (sum[f] ?? 0) + t[f];
}

/**
 * The largest count one response may report (2^40, a thousand billion tokens): a hostile line
 * cannot make a sum overflow (SQLite's integer sum fails past 2^63, a float one reaches
 * Infinity, which JSON cannot carry).
 */
export const MAX_COUNT = 2 ** 40;

/**
 * The token kinds Anthropic bills (its usage object): `input_tokens` is the input that was
 * neither written to nor read from the cache, so, unlike Codex's, it excludes cache tokens.
 */
export interface ClaudeTokenCounts {
  inputTokens: number;
  /** Cache writes with the default 5-minute lifetime. */
  cacheWrite5mTokens: number;
  /** Cache writes with a 1-hour lifetime (billed higher). */
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  outputTokens: number;
}

export const CLAUDE_TOKEN_FIELDS = ['inputTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens', 'cacheReadTokens', 'outputTokens'] as const;

export const zeroClaudeTokens = (): ClaudeTokenCounts => ({
  inputTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
  outputTokens: 0,
});

/**
 * A Claude response's counts in the one layout every usage aggregate has (docs/usage.md, "Both
 * agents"): input is every input token, as Codex's is (Anthropic's input, cache writes and cache
 * reads), cached input is the cache reads, the writes are kept apart by lifetime, and output
 * is output (Claude reports no reasoning part: thinking is inside it). totalTokens is then
 * input + output for both agents (ccusage's Claude total).
 */
export function claudeAsTokens(t: ClaudeTokenCounts): Required<TokenCounts> {
  return {
    inputTokens: t.inputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens + t.cacheReadTokens,
    cachedInputTokens: t.cacheReadTokens,
    outputTokens: t.outputTokens,
    reasoningOutputTokens: 0,
    cacheWrite5mTokens: t.cacheWrite5mTokens,
    cacheWrite1hTokens: t.cacheWrite1hTokens,
  };
}
