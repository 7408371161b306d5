import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../src/rollout/fold.js';
import { containsFolded, parseFilter } from '../../../src/rollout/listing/filters.js';
import { findHits, parseSearchQuery } from '../../../src/rollout/search/match.js';
import { codePoint } from '../../code-points.js';

/** Strings of whole code points, Greek capitals (sigma) weighted in: where case folding is context-sensitive. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('Σ', 'σ', 'ς', 'Π', 'Ρ', 'Ο', 'ί', 'İ', ' ', '.'),
    fc.string({ unit: codePoint, minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

describe('fold', () => {
  it('finds a literal substring whatever its place in a word (final sigma)', () => {
    expect(fold('ΠΡΟΣΟΧΗ').includes(fold('ΠΡΟΣ'))).toBe(true);
    expect(fold('ΟΔΟΣ').includes(fold('οδοσ'))).toBe(true);
    expect(fold('ΟΔΟΣ')).toBe(fold('οδος'));
    // Without the sigma rule toLowerCase alone gives `προς` for the needle, `προσοχη` for the text.
    expect('ΠΡΟΣΟΧΗ'.toLowerCase().includes('ΠΡΟΣ'.toLowerCase())).toBe(false);
  });

  it('maps a hit inside one character\'s fold onto that whole character (İ folds to two code units)', () => {
    // fast-check's counterexample ["", "i", "Σİ"]: the hit of `i` in `İ`'s fold `i̇` ended inside
    // it and mapped back to the empty range before `İ`.
    expect(findHits('iΣİ', ['i'])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(findHits('İx', ['̇x'])).toEqual([[0, 2]]);
  });

  it('property: fold(b) is in fold(a + b + c), and folding is idempotent and keeps the length', () => {
    fc.assert(
      fc.property(text, text, text, (a, b, c) => {
        expect(fold(a + b + c).includes(fold(b))).toBe(true);
        expect(fold(fold(b))).toBe(fold(b));
        expect(fold(b).length).toBe(b.toLowerCase().length);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the list q, search hits and the SQL function agree with fold', () => {
    fc.assert(
      fc.property(text, text, text, (a, b, c) => {
        fc.pre(b.trim() !== '' && !/\s/u.test(b));
        const hay = a + b + c;
        // The list's q (scan and the index's contains_folded SQL function).
        expect(containsFolded(hay, parseFilter({ q: b }).q!)).toBe(true);
        // Search: the needle is found, and each hit maps back onto the original text.
        const hits = findHits(hay, parseSearchQuery(b, 'phrase', 'all').needles);
        expect(hits.length).toBeGreaterThan(0);
        for (const [s, e] of hits) expect(fold(hay.slice(s, e)).includes(fold(b))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
