// What the session page offers to copy to resume a session: each agent's own command. No DOM.
import type { Agent, SessionSummary } from '../api/types.js';

/**
 * `codex resume <id>` or `claude --resume <id>` with the id the server returned; null for a
 * Claude sub-agent, which Claude Code cannot resume on its own (its parent can be).
 */
export function resumeCommand(summary: SessionSummary, agent: Agent): string | null {
  if (agent === 'claude') return summary.source === 'subagent' || summary.forkedFromId !== null ? null : `claude --resume ${summary.id}`;
  return `codex resume ${summary.id}`;
}
