import { claudeSource, type ClaudeShapes } from './claude/index.js';
import { codexSource, type CodexShapes } from './codex/index.js';
import type { AgentName, OpenConversation, SessionSource, SourceShapes } from './source.js';

/**
 * The sources the service can serve. The repository, listing, live and index layers reach a source
 * through here, never through its modules. Which are served, and from which homes, is the
 * configuration's (`--agents`, `--claude-home`): a repository serves one source in one home, and
 * the service one repository per served source (multi-repository.ts). Layers that have not been
 * given a source yet (search extraction, usage counting) name Codex (`codex`).
 */
export const codex: SessionSource<CodexShapes> = codexSource;
export const claude: SessionSource<ClaudeShapes> = claudeSource;

/** What the shape-free layers (listing, lookups, live, the index's metadata) take of any source. */
export interface ServedShapes extends SourceShapes {
  conversation: OpenConversation;
}
export type AnySource = SessionSource<ServedShapes>;

const REGISTERED: ReadonlyMap<AgentName, AnySource> = new Map<AgentName, AnySource>([
  [codex.agent, codex],
  [claude.agent, claude],
]);

/** Every registered source, in a fixed order (the order ties are broken in). */
export function sources(): readonly AnySource[] {
  return [...REGISTERED.values()];
}

/** The source of an agent, or null when it is not registered. */
export function sourceFor(agent: AgentName): AnySource | null {
  return REGISTERED.get(agent) ?? null;
}

export type { AgentName, SessionSource } from './source.js';
export type { CodexShapes } from './codex/index.js';
export type { ClaudeShapes } from './claude/index.js';
