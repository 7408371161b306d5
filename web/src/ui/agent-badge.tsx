import { useEffect, useState } from 'preact/hooks';
import { knownReadiness, readiness } from '../api/readiness.js';
import type { Agent, Readiness } from '../api/types.js';

const NAMES: Record<Agent, string> = { codex: 'Codex', claude: 'Claude Code' };
const SHORT: Record<Agent, string> = { codex: 'Codex', claude: 'Claude' };

const servedOf = (ready: Readiness | null) =>
  ready === null ? null : Array.isArray(ready.sources) ? ready.sources.filter((s) => s.served).length : 1;

/** The number of agents served (GET /readyz `sources`); null until the server has said (a failed ask is asked again by the next badge). */
export function useServedAgents(): number | null {
  const [served, setServed] = useState(() => servedOf(knownReadiness()));
  useEffect(() => {
    if (served !== null) return;
    let live = true;
    void readiness().then((ready) => live && setServed(servedOf(ready)));
    return () => {
      live = false;
    };
  }, []);
  return served;
}

/**
 * Which agent wrote a session, when the item says (`agent`). On list rows only when the server
 * serves more than one agent: a Codex-only list would carry the same badge on every row.
 */
export function AgentBadge({ agent, always = false }: { agent: Agent | undefined; always?: boolean }) {
  const served = useServedAgents();
  if (agent === undefined || (!always && (served === null || served < 2))) return null;
  return (
    <span class={`badge agent agent-${agent}`} title={`Written by ${NAMES[agent] ?? agent}`}>
      {SHORT[agent] ?? String(agent)}
    </span>
  );
}
