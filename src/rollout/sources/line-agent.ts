// No imports on purpose: the dashboard bundles this module (web/src/session/entries.ts), so that
// the browser and the server tell the two agents' files apart by the same rule.

/** The agents whose session files this service reads (SPEC section 12). */
export type Agent = 'codex' | 'claude';

/** Types Claude Code writes that are state, not conversation (docs/claude.md, "Line formats"). */
export const CLAUDE_STATE_TYPES: ReadonlySet<string> = new Set([
  'queue-operation',
  'last-prompt',
  'mode',
  'permission-mode',
  'ai-title',
  'custom-title',
  'summary',
  'file-history-snapshot',
]);

/** Record types Claude Code 2.1 writes. */
const CLAUDE_TYPES = new Set(['user', 'assistant', 'system', 'attachment', ...CLAUDE_STATE_TYPES]);

/**
 * Which agent wrote a line, from its shape alone; null when the line does not say. A reader
 * asks its file's lines in order and keeps the first answer: a file is one agent's.
 *
 * Codex lines are an envelope (`payload`), a `record_type` record, or a legacy bare item whose
 * `type` is a response item's (`message`, `function_call`, ...) or a bare meta (`id`). Claude
 * lines carry none of those and have a `type` of their own, or (a type this list does not know
 * yet) the camelCase `sessionId` every Claude line repeats.
 */
export function agentOfRecord(record: Record<string, unknown>): Agent | null {
  if ('payload' in record || 'record_type' in record) return 'codex';
  if (typeof record.type === 'string' && CLAUDE_TYPES.has(record.type)) return 'claude';
  if (typeof record.sessionId === 'string') return 'claude';
  if (typeof record.type === 'string' || typeof record.id === 'string') return 'codex';
  return null;
}
