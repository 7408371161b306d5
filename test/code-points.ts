import fc from 'fast-check';

const SURROGATES = 0x800;

/**
 * Any one code point but a lone surrogate, drawn as fast-check's `unit: 'binary'` draws it (the
 * same values for the same seed, the same shrinking). fast-check builds that unit's inverse as a
 * table of all 1,112,064 code points the first time a process asks for it (1.7-7.5 s of CPU,
 * docs/testing.md, "Branch testspeed9"); this inverse is arithmetic.
 */
export const codePoint: fc.Arbitrary<string> = fc.nat(0x10ffff - SURROGATES).map(
  (n) => String.fromCodePoint(n < 0xd800 ? n : n + SURROGATES),
  (value) => {
    const c = typeof value === 'string' ? value.codePointAt(0) : undefined;
    if (c === undefined || String.fromCodePoint(c) !== value || (c >= 0xd800 && c < 0xe000)) throw new Error('not one code point');
    return c < 0xd800 ? c : c - SURROGATES;
  },
);
