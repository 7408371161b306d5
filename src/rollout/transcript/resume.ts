// Imports nothing of Node: the dashboard bundles it (web/src/session/resume.ts), so the page and
// the export offer the same command.

/** What resuming needs of a session: its id, its agent, and whether it is a sub-agent or a fork. */
export interface Resumable {
  id: string;
  source: string;
  forkedFromId: string | null;
}

/**
 * `codex resume <id>` or `claude --resume <id>` with the id the server returned; null for a
 * Claude sub-agent, which Claude Code cannot resume on its own (its parent can be).
 */
export function resumeCommand(summary: Resumable, agent: 'codex' | 'claude'): string | null {
  if (agent === 'claude') return summary.source === 'subagent' || summary.forkedFromId !== null ? null : `claude --resume ${summary.id}`;
  return `codex resume ${summary.id}`;
}
