import { RolloutError, RolloutErrorKind } from '../errors.js';
import { collapseWhitespace, type SearchRole } from '../sources/common/search-doc.js';
import { fold } from '../fold.js';

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

export const SNIPPET_BEFORE = 50;
export const SNIPPET_AFTER = 100;
/** How far past a hit's end a snippet may reach: SNIPPET_AFTER and a grapheme boundary search (see boundaryAtOrAfter). */
const SNIPPET_AFTER_REACH = SNIPPET_AFTER + 64;

/** Case folding for search (fold.ts): the list's `q`, the index and the scan use the same one. */
export { fold };

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
 * Offsets in `text` for ascending offsets in `fold(text)`. Folding keeps most strings' length;
 * when it does not (`İ` becomes two code units), the text is walked code point by code point,
 * only as far as the last offset asked for. An offset inside the fold of one character maps to
 * that character's start (`down`, for a hit's start) or its end (`up`, for a hit's end): a hit
 * of `i` in `İ`'s `i̇` is the whole `İ`, never the empty range before it.
 */
function toTextOffsets(text: string, folded: string, offsets: readonly number[], round: 'down' | 'up'): number[] {
  if (folded.length === text.length) return [...offsets];
  const out: number[] = [];
  let at = 0; // in text
  let f = 0; // in folded
  for (const want of offsets) {
    while (f < want && at < text.length) {
      const cp = text.codePointAt(at) as number;
      const ch = String.fromCodePoint(cp);
      const len = fold(ch).length;
      if (round === 'down' && f + len > want) break;
      f += len;
      at += ch.length;
    }
    out.push(at);
  }
  return out;
}

/** Ranges one snippet lists at most (the first hit and those after it in the snippet). */
export const SNIPPET_MAX_RANGES = 20;
/**
 * The longest hit a snippet shows whole, in code units: a query is at most 500 code points
 * (1,000 code units). Hits that touch merge into one, so `aaa` in a run of `a`s is one hit as
 * long as the run: the snippet shows its first SNIPPET_MAX_HIT code units and its range ends there.
 */
export const SNIPPET_MAX_HIT = 2 * MAX_QUERY_LENGTH;
/** Hits are looked for only this far (in folded code units) past the first: no snippet reaches further. */
const HIT_WINDOW = SNIPPET_MAX_HIT + SNIPPET_AFTER_REACH;

/**
 * The hits of the needles in `text` near the first one, in text order, overlapping and touching
 * hits merged: every hit a snippet can show, never all hits of a long text (a 15 MiB message of
 * `a`s holds five million `aaa`). Empty when no needle occurs.
 */
export function findHits(text: string, needles: readonly string[]): Range[] {
  const folded = fold(text);
  let first = Number.POSITIVE_INFINITY;
  for (const needle of needles) {
    const i = folded.indexOf(needle);
    if (i !== -1 && i < first) first = i;
  }
  if (first === Number.POSITIVE_INFINITY) return [];
  const limit = first + HIT_WINDOW;
  const hits: Range[] = [];
  for (const needle of needles) {
    for (let i = folded.indexOf(needle, first); i !== -1 && i <= limit; i = folded.indexOf(needle, i + needle.length)) {
      hits.push([i, i + needle.length]);
    }
  }
  hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const hit of hits) {
    const last = merged[merged.length - 1];
    if (last !== undefined && hit[0] <= last[1]) last[1] = Math.max(last[1], hit[1]);
    else merged.push([hit[0], hit[1]]);
  }
  // Starts and ends apart: an offset inside one character's fold maps down as a start, up as an end.
  const starts = merged.map(([s]) => s);
  const ends = merged.map(([, e]) => e);
  const startAt = toTextOffsets(text, folded, starts, 'down');
  const endAt = toTextOffsets(text, folded, ends, 'up');
  return merged.map((_, k): Range => [startAt[k] as number, endAt[k] as number]);
}

/** Which needles occur in `text` (words mode: a session matches when each occurs somewhere). */
export function needlesIn(text: string, needles: readonly string[]): Set<string> {
  const folded = fold(text);
  return new Set(needles.filter((n) => folded.includes(n)));
}


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
 * the snippet, as offsets into the snippet string, at most SNIPPET_MAX_RANGES. A first hit
 * longer than SNIPPET_MAX_HIT is shown and ranged to that length only, so a snippet is at most
 * about 1,300 code units whatever the text (docs/search.md, "Bounds").
 */
export function snippetOf(text: string, hits: readonly Range[]): Snippet {
  const [firstStart, firstEnd] = hits[0] ?? [0, 0];
  // A hit is ranged exactly; one cut at SNIPPET_MAX_HIT is cut at a character boundary.
  const cutAt = firstEnd - firstStart <= SNIPPET_MAX_HIT ? firstEnd : boundaryAtOrAfter(text, firstStart + SNIPPET_MAX_HIT);
  const first: Range = [firstStart, cutAt];
  const start = boundaryAtOrBefore(text, first[0] - SNIPPET_BEFORE);
  const end = boundaryAtOrAfter(text, first[1] + SNIPPET_AFTER);
  const lead = start > 0 ? ELLIPSIS : '';
  const snippet = lead + text.slice(start, end) + (end < text.length ? ELLIPSIS : '');
  const shift = lead.length - start;
  const later = hits.slice(1).filter(([s, e]) => s >= first[1] && e <= end);
  const inside = hits.length === 0 ? [] : [first, ...later].slice(0, SNIPPET_MAX_RANGES);
  return { snippet, ranges: inside.map(([s, e]): Range => [s + shift, e + shift]) };
}
