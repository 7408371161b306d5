import type { Agent } from '../api/types.js';

const NAMES: Record<Agent, string> = { codex: 'Codex', claude: 'Claude Code' };

/** Which agent wrote a session, when the server says (items without `agent` show nothing). */
export function AgentBadge({ agent }: { agent: Agent | undefined }) {
  if (agent === undefined) return null;
  return (
    <span class={`badge agent agent-${agent}`} title={`Written by ${NAMES[agent] ?? agent}`}>
      {agent === 'claude' ? 'Claude' : agent === 'codex' ? 'Codex' : String(agent)}
    </span>
  );
}
