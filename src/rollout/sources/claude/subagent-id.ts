// Imports nothing of Node: the dashboard bundles this module to link a transcript's sub-agents
// (uuid's browser build computes SHA-1 in JavaScript, so it works outside secure contexts too).
import { v5 as uuidV5 } from 'uuid';

/**
 * A fixed namespace for the ids of sub-agents: Claude Code gives a sub-agent no UUID of its own,
 * and the API names every session by a UUID (lookups, cursors). The id is a UUIDv5 of
 * `<parent session id>/<agent id>`, so it is the same on every machine and every run.
 */
const SUBAGENT_NAMESPACE = '6f1d5e52-7c0e-4b7e-9a55-2b1c3f0d8a41';

export function subagentSessionId(parentId: string, agentId: string): string {
  return uuidV5(`${parentId.toLowerCase()}/${agentId}`, SUBAGENT_NAMESPACE);
}
