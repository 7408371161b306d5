import { initialExtractState, type ExtractState } from '../search/extract.js';

/**
 * What the content consumers remember at a file's indexed end, so that an append is read from
 * there on and not from the start. JSON-serialisable; stored with the file's index row.
 */
export interface ContentState {
  search: ExtractState;
}

export const initialContentState = (): ContentState => ({ search: initialExtractState() });

/** The stored state, or a fresh one when there is none or it is unreadable (the file is then read again from the start). */
export function parseContentState(json: string | null): ContentState {
  if (json === null) return initialContentState();
  try {
    const state = JSON.parse(json) as Partial<ContentState>;
    return { ...initialContentState(), ...state };
  } catch {
    return initialContentState();
  }
}
