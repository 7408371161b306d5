import { describe, expect, it } from 'vitest';
import { RolloutError } from '../../../src/rollout/errors.js';
import { wellFormed } from '../../helper.js';
import {
  findHits,
  parseSearchQuery,
  snippetOf,
  SNIPPET_AFTER,
  SNIPPET_BEFORE,
  SNIPPET_MAX_HIT,
  SNIPPET_MAX_RANGES,
} from '../../../src/rollout/search/match.js';

const hitsOf = (text: string, q: string, mode: 'phrase' | 'words' = 'phrase') => findHits(text, parseSearchQuery(q, mode, 'all').needles);
const cut = (text: string, q: string) => snippetOf(text, hitsOf(text, q));


describe('search queries', () => {
  it('folds case the way the list q does, also beyond ASCII', () => {
    expect(hitsOf('les données sont là', 'DONNÉES')).toEqual([[4, 11]]);
    expect(hitsOf('über alles', 'ÜBER')).toEqual([[0, 4]]);
    expect(hitsOf('ΣΊΣΥΦΟΣ', 'σίσυφος')).toEqual([[0, 7]]);
  });

  it('maps hits back through characters whose lower case is longer', () => {
    // "İ" lower-cases to two code units: offsets after it still point at the original text.
    const text = 'İstanbul and the parser';
    const [[start, end]] = hitsOf(text, 'parser') as [[number, number]];
    expect(text.slice(start, end)).toBe('parser');
  });

  it('matches runs of white space as one space, and finds every occurrence', () => {
    expect(hitsOf('fix the bug, the bug', 'the   bug')).toEqual([[4, 11], [13, 20]]);
  });

  it('words: any word hits, overlapping hits merged', () => {
    expect(hitsOf('parser and lexer', 'LEXER parser', 'words')).toEqual([[0, 6], [11, 16]]);
    expect(hitsOf('abcd', 'abc bcd', 'words')).toEqual([[0, 4]]);
  });

  it('rejects empty, blank and over-long queries', () => {
    for (const q of [undefined, '', '   \n\t', 'x'.repeat(501)]) {
      expect(() => parseSearchQuery(q, 'phrase', 'messages')).toThrow(RolloutError);
    }
    expect(parseSearchQuery('x'.repeat(500), 'phrase', 'messages').needles).toEqual(['x'.repeat(500)]);
    // Characters are code points: 500 emoji are 1,000 UTF-16 code units.
    expect(parseSearchQuery('🚀'.repeat(500), 'phrase', 'messages').needles).toEqual(['🚀'.repeat(500)]);
    expect(() => parseSearchQuery('🚀'.repeat(501), 'phrase', 'messages')).toThrow(RolloutError);
    expect(parseSearchQuery(' a  B a ', 'words', 'messages').needles).toEqual(['a', 'b']);
  });
});

describe('snippets', () => {
  it('are the whole text when short, with exact ranges', () => {
    expect(cut('refactor the parser 🚀 now', 'PARSER')).toEqual({ snippet: 'refactor the parser 🚀 now', ranges: [[13, 19]] });
  });

  it('keep about 50 characters before and 100 after the first hit, with … where cut', () => {
    const text = `${'a'.repeat(200)} needle ${'b'.repeat(300)}`;
    const { snippet, ranges } = cut(text, 'needle');
    expect(snippet.startsWith('…')).toBe(true);
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet.length).toBe(1 + SNIPPET_BEFORE + 'needle'.length + SNIPPET_AFTER + 1);
    const [[s, e]] = ranges as [[number, number]];
    expect(snippet.slice(s, e)).toBe('needle');
  });

  it('never cut an emoji, a surrogate pair or a combining mark', () => {
    for (let pad = 40; pad < 60; pad++) {
      const text = `${'x'.repeat(pad)}👩‍👩‍👧é😀 target ${'😀'.repeat(80)}e\u0301${'y'.repeat(60)}`;
      const { snippet, ranges } = cut(text, 'target');
      const body = snippet.replace(/^…/, '').replace(/…$/, '');
      expect(text.includes(body), `pad ${pad}`).toBe(true);
      // A well-formed string: no lone surrogate at either end.
      expect(wellFormed(body), `pad ${pad}`).toBe(true);
      expect(/^[\u0300-\u036f\u200d]/.test(body), `pad ${pad}`).toBe(false);
      const [[s, e]] = ranges as [[number, number]];
      expect(snippet.slice(s, e)).toBe('target');
    }
  });

  it('list every hit inside the snippet, and none outside', () => {
    const text = `a hit, ${'z'.repeat(120)} hit again ${'z'.repeat(200)} hit far away`;
    const { snippet, ranges } = cut(text, 'hit');
    expect(ranges.map(([s, e]) => snippet.slice(s, e))).toEqual(['hit']);
    expect(cut('hit hit hit', 'HIT').ranges).toEqual([[0, 3], [4, 7], [8, 11]]);
  });

  it('are bounded however long the hit or however many hits (docs/search.md, "Bounds")', () => {
    // Touching hits merge: `aaa` over 15 MiB of `a` was one 15 MiB snippet and range.
    const run = 'a'.repeat(15 * 1024 * 1024);
    const long = cut(`x ${run} y`, 'aaa');
    expect(long.snippet.length).toBeLessThanOrEqual(1400);
    expect(long.ranges).toEqual([[2, 2 + SNIPPET_MAX_HIT]]);
    // A 60,000-dash Markdown rule.
    const rule = cut(`# title\n\n${'-'.repeat(60_000)}\n\nmore`, '---');
    expect(rule.snippet.length).toBeLessThanOrEqual(1400);
    expect(rule.ranges.length).toBe(1);
    // Many separate hits: at most SNIPPET_MAX_RANGES of them listed.
    const many = cut('a '.repeat(100_000), 'a');
    expect(many.ranges.length).toBe(SNIPPET_MAX_RANGES);
    for (const [s, e] of many.ranges) expect(many.snippet.slice(s, e)).toBe('a');
    // The hits looked for stay near the first one (not five million of them).
    expect(hitsOf('ab'.repeat(1_000_000), 'b').length).toBeLessThan(2000);
  });
});
