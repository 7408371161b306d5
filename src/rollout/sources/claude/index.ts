import { stat } from 'node:fs/promises';
import type { Degradations } from '../../degraded.js';
import type { ReadEnv } from '../../reading/session-reader.js';
import type { JsonRecord, RolloutFile, RolloutLogger, SessionSummary } from '../../types.js';
import type { SearchDoc } from '../common/search-doc.js';
import { UUID } from '../common/fields.js';
import type { HomeState, OpenConversation, SessionSource, SessionWalker } from '../source.js';
import { openClaudeConversation } from './conversation.js';
import { classifyClaudePath, type ClaudeFile } from './discovery.js';
import { findClaudeHome, PROJECTS_DIR } from './home.js';
import { readClaudeSessionFile } from './reader.js';
import { claudeSearchDocs } from './search-extract.js';
import { ClaudeSessionScanner, claudeRolloutFile } from './session-head.js';
import { ClaudeUsageCounter, type ClaudeCounterState } from './usage-counter.js';
import { ClaudeWalker, claudeFileOf } from './walker.js';

export { ClaudeWalker, claudeFileOf };

/** The shapes of the Claude source (SourceShapes). */
export interface ClaudeShapes {
  walker: ClaudeWalker;
  counter: ClaudeUsageCounter;
  counterState: ClaudeCounterState;
  record: JsonRecord;
  extractState: null;
  /** An older line with several kinds of blocks gives one doc per role (docs/claude.md, "Search"). */
  doc: readonly SearchDoc[];
  conversation: OpenConversation;
}

const FIRST_STAMP = '0000-01-01T00-00-00';
const LAST_STAMP = '9999-12-31T23-59-59';
const KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})\|([0-9a-fA-F-]{36})$/;

function asClaude(file: RolloutFile): ClaudeFile {
  const claude = claudeFileOf(file);
  if (claude === null) throw new Error(`not a Claude transcript path: ${file.relPath}`);
  return claude;
}

/** `missing` when the home is not there at all (no Claude Code on the machine), `no-sessions` when it has no usable `projects/`. */
async function claudeHomeState(home: string): Promise<HomeState> {
  if ((await findClaudeHome(home)) !== null) return 'ready';
  try {
    return (await stat(home)).isDirectory() ? 'no-sessions' : 'not-a-directory';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  }
}

/**
 * Claude Code sessions: `projects/<encoded cwd>/<id>.jsonl` and their sub-agents, ordered by
 * their first timestamp (UTC) and id, known only after a head read (docs/claude.md).
 */
export const claudeSource: SessionSource<ClaudeShapes> = {
  agent: 'claude',
  walker: (home: string, _degraded?: Degradations, env?: () => Promise<ReadEnv>) => new ClaudeWalker(home, undefined, env),
  watch: {
    roots: [PROJECTS_DIR],
    isTreeDir: (rel: string) => {
      const kind = classifyClaudePath(rel)?.kind;
      return kind !== undefined && kind !== 'session';
    },
    holdsSessions: (rel: string) => {
      const kind = classifyClaudePath(rel)?.kind;
      return kind === 'project' || kind === 'subagents-dir';
    },
    nested: true,
    namesFile: null,
  },
  orderingKey: () => null,
  keysInNames: false,
  namedLater: true,
  keyOf: (file: RolloutFile, summary: SessionSummary) => claudeRolloutFile(asClaude(file), summary.createdAt),
  parseKey: (text: string) => {
    const m = KEY.exec(text);
    return m !== null && UUID.test(m[2] as string) ? `${m[1]}|${(m[2] as string).toLowerCase()}` : null;
  },
  keyBounds: { first: `${FIRST_STAMP}|00000000-0000-0000-0000-000000000000`, last: `${LAST_STAMP}|ffffffff-ffff-ffff-ffff-ffffffffffff` },
  readListing: async (file: RolloutFile, headCount: number, tailCount: number, env: ReadEnv, log: RolloutLogger) => {
    const read = await readClaudeSessionFile(asClaude(file), headCount, tailCount, env, log);
    if (read?.read == null) return read;
    const { facts: _facts, ...rest } = read.read;
    return { stat: read.stat, read: rest };
  },
  // Claude Code keeps names in the transcript itself (ai-title, custom-title): there is no names file.
  openConversation: async (file: RolloutFile, _name: string | null, env: ReadEnv, log: RolloutLogger) => {
    const { facts: _facts, ...conversation } = await openClaudeConversation(asClaude(file), env, log);
    return conversation;
  },
  usageCounter: (state?: ClaudeCounterState) => new ClaudeUsageCounter(state),
  search: {
    initial: () => null,
    docOf: (record: JsonRecord) => {
      const docs = claudeSearchDocs(record);
      return docs.length === 0 ? null : docs;
    },
  },
  homeState: claudeHomeState,
  names: () => ({ load: () => Promise.resolve(new Map<string, string>()) }),
  summaryOfPath: (file: RolloutFile) => new ClaudeSessionScanner().summary(asClaude(file), { size: 0, mtimeMs: Date.now() }).summary,
  filesClaiming: async (walker: SessionWalker, id: string, changed?: readonly string[] | null) => {
    // Only a sub-agent has a UUIDv5 (subagent-id.ts): any other id can only be a main session's file name.
    if (id[14] !== '5' && walker instanceof ClaudeWalker) return walker.sessionFilesOf(id);
    // A complete index lacks it: only a sub-agent file changed since the watch began can hold it.
    if (changed != null) return changed.map((rel) => walker.fileAt(rel)).filter((f): f is RolloutFile => f !== null && f.id === id);
    const out: RolloutFile[] = [];
    for await (const file of walker.everyFile()) if (file.id === id) out.push(file);
    return out;
  },
  isArchivedPath: () => false,
  movedPath: (file: RolloutFile) => file.relPath,
  recentDirs: () => Promise.resolve([]),
};
