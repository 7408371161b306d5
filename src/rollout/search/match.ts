import { RolloutError, RolloutErrorKind } from '../errors.js';
import { collapseWhitespace, type SearchRole } from '../sources/codex/search-extract.js';

export type MatchMode = 'phrase' | 'words';
export type SearchScope = 'messages' | 'tools' | 'all';

export const SCOPE_ROLES: Record<SearchScope, readonly SearchRole[]> = {
  messages: ['user', 'assistant'],
  tools: ['tool'],
  all: ['user', 'assistant', 'tool', 'reasoning'],
};

/** A parsed search: the needles to find, folded as the text is folded. */
export interface SearchQuery {
  mode: MatchMode;
  scope: SearchScope;
  /** Folded (lower case), whitespace-collapsed. One for a phrase, one per distinct word otherwise. */
  needles: string[];
}

export const MAX_QUERY_LENGTH = 500;

/**
 * Case folding for search: JavaScript's toLowerCase, the same as the list's `q`, so that
 * `DONNÉES` finds `données` and `ÜBER` finds `über`.
 */
export function fold(text: string): string {
  return text.toLowerCase();
}

export function parseSearchQuery(q: string | undefined, mode: MatchMode, scope: SearchScope): SearchQuery {
  // Characters are code points, as in the schema's maxLength.
  if (q === undefined || q.length === 0 || [...q].length > MAX_QUERY_LENGTH) {
    throw new RolloutError(RolloutErrorKind.InvalidQuery, `q must be 1 to ${MAX_QUERY_LENGTH} characters`);
  }
  const phrase = fold(collapseWhitespace(q));
  if (phrase === '') throw new RolloutError(RolloutErrorKind.InvalidQuery, 'q must contain something other than white space');
  const needles = mode === 'phrase' ? [phrase] : [...new Set(phrase.split(' '))];
  return { mode, scope, needles };
}

/** A hit in a text, as UTF-16 offsets [start, end) of the original (unfolded) text. */
export type Range = [number, number];

/**
 * Offsets in `text` for offsets in `fold(text)`. Lower-casing keeps most strings' length; when
 * it does not (`İ` becomes two code units), the map is built code point by code point.
 */
function offsetMap(text: string, folded: string): ((i: number) => number) | null {
  if (folded.length === text.length) return null;
  const map: number[] = [];
  let at = 0;
  for (const ch of text) {
    const len = ch.toLowerCase().length;
    for (let k = 0; k < len; k++) map.push(at);
    at += ch.length;
  }
  map.push(text.length);
  return (i) => map[Math.min(i, map.length - 1)] as number;
}

/** Every non-overlapping hit of each needle in `text`, in text order, overlaps merged. */
export function findHits(text: string, needles: readonly string[]): Range[] {
  const folded = fold(text);
  const toText = offsetMap(text, folded);
  const hits: Range[] = [];
  for (const needle of needles) {
    for (let i = folded.indexOf(needle); i !== -1; i = folded.indexOf(needle, i + needle.length)) {
      hits.push(toText ? [toText(i), toText(i + needle.length)] : [i, i + needle.length]);
    }
  }
  hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const hit of hits) {
    const last = merged[merged.length - 1];
    if (last !== undefined && hit[0] <= last[1]) last[1] = Math.max(last[1], hit[1]);
    else merged.push([hit[0], hit[1]]);
  }
  return merged;
}

/** Which needles occur in `text` (words mode: a session matches when each occurs somewhere). */
export function needlesIn(text: string, needles: readonly string[]): Set<string> {
  const folded = fold(text);
  return new Set(needles.filter((n) => folded.includes(n)));
}

export const SNIPPET_BEFORE = 50;
export const SNIPPET_AFTER = 100;
const ELLIPSIS = '…';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The grapheme boundary at or before `i` (a snippet never cuts a character, an emoji or a combining mark). */
function boundaryAtOrBefore(text: string, i: number): number {
  if (i <= 0) return 0;
  if (i >= text.length) return text.length;
  // Segment a small window: graphemes are short, and segmenting a 64 KiB output is not.
  const from = Math.max(0, i - 64);
  let best = from;
  for (const { index } of graphemes.segment(text.slice(from, Math.min(text.length, i + 64)))) {
    if (from + index > i) break;
    best = from + index;
  }
  return best;
}

function boundaryAtOrAfter(text: string, i: number): number {
  if (i >= text.length) return text.length;
  const before = boundaryAtOrBefore(text, i);
  if (before === i) return i;
  const from = before;
  for (const { index } of graphemes.segment(text.slice(from, Math.min(text.length, i + 64)))) {
    if (from + index >= i) return from + index;
  }
  return Math.min(text.length, i + 64);
}

export interface Snippet {
  snippet: string;
  ranges: Range[];
}

/**
 * About SNIPPET_BEFORE characters before the first hit and SNIPPET_AFTER after it, cut at
 * character (grapheme) boundaries, with `…` where text was cut; `ranges` are the hits inside
 * the snippet, as offsets into the snippet string.
 */
export function snippetOf(text: string, hits: readonly Range[]): Snippet {
  const first = hits[0] ?? [0, 0];
  const start = boundaryAtOrBefore(text, first[0] - SNIPPET_BEFORE);
  const end = boundaryAtOrAfter(text, first[1] + SNIPPET_AFTER);
  const lead = start > 0 ? ELLIPSIS : '';
  const snippet = lead + text.slice(start, end) + (end < text.length ? ELLIPSIS : '');
  const shift = lead.length - start;
  const ranges = hits.filter(([s, e]) => s >= start && e <= end).map(([s, e]): Range => [s + shift, e + shift]);
  return { snippet, ranges };
}
