// Claude Code transcript lines as the CLI 2.1.197 writes them (../shared/fixtures/claude-home-real),
// for tests that build a home of their own: one prompt, one answer with its usage.

/** The n-th second after 2026-01-02T03:00:00Z. */
export const claudeAt = (n: number): string => new Date(Date.UTC(2026, 0, 2, 3, 0, 0) + n * 1000).toISOString();

/** A user prompt of session `sid` at second `n` (its turn is `p<n>`). */
export const claudePrompt = (sid: string, n: number, text: string): string =>
  JSON.stringify({
    type: 'user',
    ...{ sessionId: sid, cwd: '/w', version: '2.1.197', entrypoint: 'sdk-cli', timestamp: claudeAt(n), promptId: `p${n}` },
    message: { role: 'user', content: text },
  });

/** An assistant answer of session `sid` at second `n`, one response (its ids derive from `sid` and `n`) with usage. */
export const claudeAnswer = (sid: string, n: number, text: string): string =>
  JSON.stringify({
    type: 'assistant',
    ...{ sessionId: sid, cwd: '/w', version: '2.1.197', timestamp: claudeAt(n), requestId: `req_${sid.slice(0, 8)}_${n}` },
    message: {
      id: `msg_${sid.slice(0, 8)}_${n}`,
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 10 },
    },
  });
