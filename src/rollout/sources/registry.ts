import { codexSource, type CodexShapes } from './codex/index.js';
import type { AgentName, SessionSource } from './source.js';

/**
 * The sources the service serves. The repository, listing, live and index layers reach a source
 * through here, never through its modules. Codex is the one source today and the one every
 * caller asks for by name (`codex`); a second source (sources/claude/) is added by registering it
 * here and giving the callers that iterate `sources()` its shapes (docs/development.md, "Sources").
 */
export const codex: SessionSource<CodexShapes> = codexSource;

const REGISTERED: ReadonlyMap<AgentName, SessionSource<CodexShapes>> = new Map([[codex.agent, codex]]);

/** Every registered source, in a fixed order (the order ties are broken in). */
export function sources(): readonly SessionSource<CodexShapes>[] {
  return [...REGISTERED.values()];
}

/** The source of an agent, or null when it is not served. */
export function sourceFor(agent: AgentName): SessionSource<CodexShapes> | null {
  return REGISTERED.get(agent) ?? null;
}

export type { AgentName, SessionSource } from './source.js';
export type { CodexShapes } from './codex/index.js';
