import type { ExtractState } from '../sources/codex/search-extract.js';
import { codex } from '../sources/registry.js';
import { initialCounterState, restoreCounterState, type CounterState } from '../sources/codex/usage-counter.js';
import type { ClaudeCounterState } from '../sources/claude/usage-counter.js';

/**
 * What the content consumers remember at a file's indexed end, so that an append is read from
 * there on and not from the start. JSON-serialisable; stored with the file's index row.
 */
export interface ContentState {
  search: ExtractState;
  /** The file's source's counter state (a Claude file's: ClaudeCounterState; both are `v: 1` JSON). */
  usage: CounterState | ClaudeCounterState;
}

export const initialContentState = (): ContentState => ({ search: codex.search.initial(), usage: initialCounterState() });

/**
 * The stored state, or null when there is none, it is unreadable, or another version wrote it:
 * the file is then read again from the start.
 */
export function parseContentState(json: string | null): ContentState | null {
  if (json === null) return null;
  try {
    const state = JSON.parse(json) as Partial<ContentState>;
    const usage = restoreCounterState(state.usage);
    return state.search !== undefined && usage !== null ? { search: state.search, usage } : null;
  } catch {
    return null;
  }
}
