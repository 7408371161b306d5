import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonShapeChecker, type JsonShape } from '../../../src/rollout/reading/json-shape.js';
import { codePoint } from '../../code-points.js';

/** What parseLine decides of the same bytes (JSON.parse on the decoded text), and where the value lies. */
function reference(bytes: Buffer): { shape: JsonShape; utf8: boolean } {
  const text = bytes.toString('utf8');
  let shape: JsonShape;
  if (text.trim() === '') shape = 'empty';
  else {
    try {
      const v: unknown = JSON.parse(text);
      shape = v !== null && typeof v === 'object' && !Array.isArray(v) ? 'object' : 'other';
    } catch {
      shape = 'invalid';
    }
  }
  return { shape, utf8: isUtf8(bytes) };
}

function check(bytes: Buffer, cuts: number[] = []) {
  const checker = new JsonShapeChecker();
  let prev = 0;
  for (const c of [...cuts.filter((c) => c <= bytes.length).sort((a, b) => a - b), bytes.length]) {
    checker.feed(bytes.subarray(prev, c));
    prev = c;
  }
  return checker.report();
}

const jsonWs = fc.constantFrom('', ' ', '\t', '\r', '  ');

/** The checker and the reference agree on `line` cut at `cuts` (JavaScript's trim() also takes NBSP, BOM... for "empty"). */
function agrees(line: Buffer, cuts: number[]): void {
  const got = check(line, cuts);
  const want = reference(line);
  if (want.shape === 'empty' && got.shape === 'invalid') return;
  expect({ shape: got.shape, utf8: got.utf8 }).toEqual(want);
}

describe('JsonShapeChecker', () => {
  it('agrees with JSON.parse on valid JSON of every kind, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.jsonValue(), jsonWs, jsonWs, fc.array(fc.nat(400)), (value, before, after, cuts) => {
        const text = JSON.stringify(value);
        const bytes = Buffer.from(before + text + after, 'utf8');
        const got = check(bytes, cuts);
        expect({ shape: got.shape, utf8: got.utf8 }).toEqual(reference(bytes));
        expect(bytes.subarray(got.start, got.end).toString('utf8')).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on broken JSON: bytes deleted, inserted or changed', () => {
    const mutated = fc
      .tuple(fc.jsonValue(), fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('del', 'ins', 'set')), { maxLength: 3 }))
      .map(([value, edits]) => {
        const bytes = [...Buffer.from(JSON.stringify(value), 'utf8')];
        for (const [at, byte, op] of edits) {
          const i = bytes.length === 0 ? 0 : at % bytes.length;
          if (op === 'del') bytes.splice(i, 1);
          else if (op === 'ins') bytes.splice(i, 0, byte === 0x0a ? 0x20 : byte);
          else if (bytes.length > 0) bytes[i] = byte === 0x0a ? 0x20 : byte;
        }
        return Buffer.from(bytes);
      });
    fc.assert(
      fc.property(mutated, fc.array(fc.nat(64)), agrees),
      { numRuns: 5000 },
    );
  });

  it('agrees with isUtf8 and JSON.parse on any Unicode text and any bytes, cut anywhere', () => {
    const text = fc.string({ unit: codePoint, maxLength: 60 }).map((t) => Buffer.from(JSON.stringify({ t, u: [t] }), 'utf8'));
    const inString = (b: Uint8Array) => Buffer.concat([Buffer.from('{"a":"'), Buffer.from(b.filter((x) => x !== 0x0a)), Buffer.from('"}')]);
    const bytes = fc.uint8Array({ maxLength: 40 }).map(inString);
    fc.assert(
      fc.property(fc.oneof(text, bytes), fc.array(fc.nat(80), { maxLength: 8 }), agrees),
      { numRuns: 5000 },
    );
  });

  it('handles the edge cases of numbers, literals, strings and nesting', () => {
    const cases = [
      '{}', '[]', '0', '-0', '1.5e+10', '01', '1.', '.5', '-', '1e', 'tru', 'true', 'nul', '"a"', '"\\u12"', '"\\u12g4"',
      '"\\x"', '{"a":1,}', '[1,]', '{"a"}', '{"a":}', '{,}', '[,1]', '{}{}', '{} x', '"\u0001"', '{"a":"\\ud800"}',
      '[[[[[[[[]]]]]]]]', '{"a":[{"b":null}]}', '   ', '', '1 2', '[1 2]', '{"a":1 "b":2}', '-01', '1e+', '1E5',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`, `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, '{"a":1}]',
    ];
    for (const text of cases) {
      const bytes = Buffer.from(text, 'utf8');
      for (const cuts of [[], [1], [1, 2, 3], [...Array(text.length).keys()]]) {
        expect({ text: text.slice(0, 40), shape: check(bytes, cuts.length > 200 ? [7] : cuts).shape }).toEqual({
          text: text.slice(0, 40),
          shape: reference(bytes).shape,
        });
      }
    }
  });

  it('tells valid UTF-8 from invalid (overlong, surrogates, truncated sequences)', () => {
    const sequences = [
      [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80],
    ];
    for (const bytes of sequences) {
      const line = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')]);
      expect(check(line).utf8).toBe(isUtf8(line));
      expect(check(line).shape).toBe('object');
    }
  });
});
