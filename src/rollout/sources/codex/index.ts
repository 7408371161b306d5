import type { Degradations } from '../../degraded.js';
import type { RolloutFile } from '../../types.js';
import type { SessionSource, SessionWalker } from '../source.js';
import { UUID, isValidStamp, stampDate } from './filename.js';
import { filesClaiming, newestDays } from './lookup.js';
import { openConversation, type OpenConversation } from './conversation.js';
import type { NormalizedRecord } from './formats.js';
import { homeState } from './home-state.js';
import { initialExtractState, searchDocOf, type ExtractState, type SearchDoc } from './search-extract.js';
import { SESSION_INDEX_FILE, SessionNames } from './session-names.js';
import { buildSummary } from './summary.js';
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
    nested: false,
    namesFile: SESSION_INDEX_FILE,
  },
  orderingKey: (file: RolloutFile) => file.key,
  keyOf: (file: RolloutFile) => file,
  keysInNames: true,
  namedLater: false,
  parseKey: (text: string) => {
    const parts = text.split('|');
    if (parts.length !== 2 || !isValidStamp(parts[0] as string) || !UUID.test(parts[1] as string)) return null;
    return `${parts[0]}|${(parts[1] as string).toLowerCase()}`;
  },
  keyBounds: {
    first: '0000-01-01T00-00-00|00000000-0000-0000-0000-000000000000',
    last: '9999-12-31T23-59-59|ffffffff-ffff-ffff-ffff-ffffffffffff',
  },
  readListing: readSessionFile,
  openConversation,
  usageCounter: (state?: CounterState) => new UsageCounter(state),
  search: { initial: initialExtractState, docOf: searchDocOf },
  homeState,
  names: (home: string, degraded?: Degradations) => new SessionNames(home, degraded),
  summaryOfPath: (file: RolloutFile) => buildSummary(file, {}, null, { size: 0, mtimeMs: Date.now() }),
  filesClaiming,
  isArchivedPath: (relPath: string) => relPath.startsWith(`${ARCHIVED_DIR}/`),
  movedPath: (file: RolloutFile) => {
    const name = file.relPath.slice(file.relPath.lastIndexOf('/') + 1);
    const [y, m, d] = stampDate(file.stamp).split('-');
    return file.archived ? `${SESSIONS_DIR}/${y}/${m}/${d}/${name}` : `${ARCHIVED_DIR}/${name}`;
  },
  recentDirs: async (walker: SessionWalker) => {
    return [ARCHIVED_DIR, ...(await newestDays(walker))];
  },
};
