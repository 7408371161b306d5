// The searchable text of a record, whichever source wrote it: the search layer and the index
// store these; each source's extractor makes them.

/** Who wrote a searchable record. */
export type SearchRole = 'user' | 'assistant' | 'tool' | 'reasoning';

/** The searchable text of one record (one line of the file). */
export interface SearchDoc {
  role: SearchRole;
  /** The record's own type: `message`, `user_message`, `agent_message`, `function_call`, `reasoning`, ... */
  kind: string;
  /** Whitespace-collapsed, as shown in snippets. */
  text: string;
}

/** A searchable record at its place in its file. */
export interface LocatedDoc extends SearchDoc {
  line: number;
  timestamp: string | null;
}

/**
 * Each tool call's arguments and each tool output is indexed up to this many characters
 * (UTF-16 code units: at least 64 KiB of UTF-8). Messages and reasoning are indexed whole.
 */
export const TOOL_TEXT_LIMIT = 65_536;

/** A surrogate code unit that is not half of a pair (JSON can write `\ud800` alone). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Runs of white space become one space: how text is matched and how snippets show it. A lone
 * surrogate becomes U+FFFD, as SQLite (UTF-8) would store it: the index and a scan then see
 * the same text, offsets included.
 */
export function collapseWhitespace(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(/\s+/gu, ' ').trim();
}
