import { useEffect, useState } from 'preact/hooks';
import { apiFetch } from '../api/client.js';
import type { Agent, Readiness } from '../api/types.js';

const NAMES: Record<Agent, string> = { codex: 'Codex', claude: 'Claude Code' };
const SHORT: Record<Agent, string> = { codex: 'Codex', claude: 'Claude' };

/** How many agents the server serves (GET /readyz `sources`), asked once per page load. */
let servedAgents: number | null = null;
let asking: Promise<void> | null = null;

/** The number of agents served; null until the server has said (a failed ask is asked again by the next badge). */
export function useServedAgents(): number | null {
  const [served, setServed] = useState(servedAgents);
  useEffect(() => {
    if (servedAgents !== null) return;
    asking ??= apiFetch('readyz', { allow: [503] })
      .then((response) => response.json() as Promise<Readiness>)
      .then((ready) => {
        servedAgents = Array.isArray(ready.sources) ? ready.sources.filter((s) => s.served).length : 1;
      })
      .catch(() => {})
      .finally(() => {
        asking = null;
      });
    let live = true;
    void asking.then(() => live && setServed(servedAgents));
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
