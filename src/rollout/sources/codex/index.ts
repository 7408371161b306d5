import type { Degradations } from '../../degraded.js';
import type { RolloutFile } from '../../types.js';
import type { SessionSource } from '../source.js';
import { openConversation, type OpenConversation } from './conversation.js';
import type { NormalizedRecord } from './formats.js';
import { homeState } from './home-state.js';
import { initialExtractState, searchDocOf, type ExtractState, type SearchDoc } from './search-extract.js';
import { SESSION_INDEX_FILE } from './session-names.js';
import { readSessionFile } from './session-file.js';
import { ARCHIVED_DIR, SESSIONS_DIR, TreeWalker, isTreeDir } from './tree-walk.js';
import { UsageCounter, type CounterState } from './usage-counter.js';

/** The shapes of the Codex source (SourceShapes). */
export interface CodexShapes {
  walker: TreeWalker;
  counter: UsageCounter;
  counterState: CounterState;
  record: NormalizedRecord;
  extractState: ExtractState;
  doc: SearchDoc;
  conversation: OpenConversation;
}

/**
 * OpenAI Codex CLI sessions: `sessions/YYYY/MM/DD/rollout-<stamp>-<uuid>.jsonl` and
 * `archived_sessions/`, named by `session_index.jsonl`, ordered by the name's stamp and id.
 */
export const codexSource: SessionSource<CodexShapes> = {
  agent: 'codex',
  walker: (home: string, degraded?: Degradations) => new TreeWalker(home, degraded),
  watch: {
    roots: [ARCHIVED_DIR, SESSIONS_DIR],
    isTreeDir,
    holdsSessions: (rel: string) => rel === ARCHIVED_DIR || (rel.startsWith(`${SESSIONS_DIR}/`) && rel.split('/').length === 4),
    namesFile: SESSION_INDEX_FILE,
  },
  orderingKey: (file: RolloutFile) => file.key,
  readListing: readSessionFile,
  openConversation,
  usageCounter: (state?: CounterState) => new UsageCounter(state),
  search: { initial: initialExtractState, docOf: searchDocOf },
  homeState,
};
