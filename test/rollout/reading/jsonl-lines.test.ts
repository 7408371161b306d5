import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseLine, readRecord, splitLines, type Line } from '../../../src/rollout/reading/jsonl-lines.js';

const BIG = 1024 * 1024;

async function collect(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, maxLineBytes = BIG, startOffset?: number): Promise<Line[]> {
  const out: Line[] = [];
  for await (const line of splitLines(chunks, maxLineBytes, startOffset)) out.push(line);
  return out;
}

/** `bytes` cut at the given positions. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    parts.push(bytes.subarray(prev, p));
    prev = p;
  }
  return parts;
}

/** `bytes` in chunks of `size`, each a fresh copy. */
function chunked(bytes: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(Buffer.from(bytes.subarray(i, i + size)));
  return parts;
}

/**
 * Bytes: line 1 `{"a":1}` 0..6, \n at 7; line 2 `hé€llo` (9 bytes) 8..16, \n at 17; line 3 empty
 * at 18; line 4 `{"b":"😀"}\r` (13 bytes) 19..31, \n at 32; line 5 `tail` 33..36, unterminated.
 */
const SAMPLE = Buffer.from('{"a":1}\nhé€llo\n\n{"b":"😀"}\r\ntail', 'utf8');
const SAMPLE_LINES: Line[] = [
  { lineNo: 1, offset: 0, text: '{"a":1}', terminated: true },
  { lineNo: 2, offset: 8, text: 'hé€llo', terminated: true },
  { lineNo: 3, offset: 18, text: '', terminated: true },
  { lineNo: 4, offset: 19, text: '{"b":"😀"}\r', terminated: true },
  { lineNo: 5, offset: 33, text: 'tail', terminated: false },
];

describe('splitLines', () => {
  it('has the sample laid out as documented', () => {
    expect(SAMPLE.length).toBe(37);
  });

  it('splits a single chunk into lines with 1-based numbers and byte offsets', async () => {
    expect(await collect([SAMPLE])).toEqual(SAMPLE_LINES);
  });

  it('gives the same lines for a split at every byte position (incl. inside multi-byte characters)', async () => {
    for (let i = 0; i <= SAMPLE.length; i++) {
      expect(await collect(cut(SAMPLE, [i])), `split at ${i}`).toEqual(SAMPLE_LINES);
    }
  });

  it('gives the same lines for every pair of split positions', async () => {
    for (let i = 0; i <= SAMPLE.length; i++) {
      for (let j = i; j <= SAMPLE.length; j++) {
        expect(await collect(cut(SAMPLE, [i, j])), `split at ${i},${j}`).toEqual(SAMPLE_LINES);
      }
    }
  });

  it('gives the same lines for one-byte chunks and for every chunk size', async () => {
    for (let size = 1; size <= SAMPLE.length + 1; size++) {
      expect(await collect(chunked(SAMPLE, size)), `chunk size ${size}`).toEqual(SAMPLE_LINES);
    }
  });

  it('decodes a 4-byte character split across three chunks', async () => {
    const bytes = Buffer.from('x😀y\n', 'utf8'); // x, F0 9F 98 80, y, \n
    expect(await collect(cut(bytes, [2, 4]))).toEqual([{ lineNo: 1, offset: 0, text: 'x😀y', terminated: true }]);
  });

  it('reads from an async iterable (a stream)', async () => {
    expect(await collect(Readable.from(chunked(SAMPLE, 5)))).toEqual(SAMPLE_LINES);
  });

  it('does not depend on the caller keeping chunk memory intact (pending bytes are copied)', async () => {
    const shared = Buffer.alloc(4);
    async function* reused(): AsyncGenerator<Buffer> {
      for (let i = 0; i < SAMPLE.length; i += 4) {
        const n = SAMPLE.copy(shared, 0, i, Math.min(i + 4, SAMPLE.length));
        yield shared.subarray(0, n);
        shared.fill(0x7a); // scribble over the chunk once it has been handed back
      }
    }
    expect(await collect(reused())).toEqual(SAMPLE_LINES);
  });

  it('keeps CR bytes of CRLF lines and splits only on LF', async () => {
    const bytes = Buffer.from('{"a":1}\r\n\r\n{"b":2}\r\n', 'utf8');
    expect(await collect(chunked(bytes, 3))).toEqual([
      { lineNo: 1, offset: 0, text: '{"a":1}\r', terminated: true },
      { lineNo: 2, offset: 9, text: '\r', terminated: true },
      { lineNo: 3, offset: 11, text: '{"b":2}\r', terminated: true },
    ]);
  });

  it('reports empty lines, including consecutive and leading ones', async () => {
    expect(await collect([Buffer.from('\n\na\n\n')])).toEqual([
      { lineNo: 1, offset: 0, text: '', terminated: true },
      { lineNo: 2, offset: 1, text: '', terminated: true },
      { lineNo: 3, offset: 2, text: 'a', terminated: true },
      { lineNo: 4, offset: 4, text: '', terminated: true },
    ]);
  });

  it('yields nothing for empty input or empty chunks', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect([Buffer.alloc(0), Buffer.alloc(0)])).toEqual([]);
  });

  it('reports no extra line after a final newline', async () => {
    expect(await collect([Buffer.from('a\n')])).toEqual([{ lineNo: 1, offset: 0, text: 'a', terminated: true }]);
    expect(await collect([Buffer.from('\n')])).toEqual([{ lineNo: 1, offset: 0, text: '', terminated: true }]);
  });

  it('reports an unterminated last line with terminated:false', async () => {
    expect(await collect([Buffer.from('{"a":1}\n{"b":'), Buffer.from('2')])).toEqual([
      { lineNo: 1, offset: 0, text: '{"a":1}', terminated: true },
      { lineNo: 2, offset: 8, text: '{"b":2', terminated: false },
    ]);
  });

  it('counts offsets from startOffset', async () => {
    expect(await collect([Buffer.from('ab\ncd\nef')], BIG, 1000)).toEqual([
      { lineNo: 1, offset: 1000, text: 'ab', terminated: true },
      { lineNo: 2, offset: 1003, text: 'cd', terminated: true },
      { lineNo: 3, offset: 1006, text: 'ef', terminated: false },
    ]);
  });

  it('reports a line over maxLineBytes as text:null and keeps the following lines correct, for every chunk size', async () => {
    const bytes = Buffer.from(`short\n${'x'.repeat(100)}\nafter\n{"z":1}`, 'utf8');
    const expected: Line[] = [
      { lineNo: 1, offset: 0, text: 'short', terminated: true },
      { lineNo: 2, offset: 6, text: null, terminated: true },
      { lineNo: 3, offset: 107, text: 'after', terminated: true },
      { lineNo: 4, offset: 113, text: '{"z":1}', terminated: false },
    ];
    for (let size = 1; size <= bytes.length; size++) {
      expect(await collect(chunked(bytes, size), 10), `chunk size ${size}`).toEqual(expected);
    }
  });

  it('accepts a line of exactly maxLineBytes and rejects one byte more, at every split', async () => {
    const bytes = Buffer.from('0123456789\n0123456789A\nok\n', 'utf8');
    const expected: Line[] = [
      { lineNo: 1, offset: 0, text: '0123456789', terminated: true },
      { lineNo: 2, offset: 11, text: null, terminated: true },
      { lineNo: 3, offset: 23, text: 'ok', terminated: true },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      expect(await collect(cut(bytes, [i]), 10), `split at ${i}`).toEqual(expected);
    }
  });

  it('measures maxLineBytes in bytes, not characters', async () => {
    // 5 × é = 10 bytes (fits 10); 6 × é = 12 bytes (does not).
    const bytes = Buffer.from('ééééé\néééééé\n', 'utf8');
    for (let size = 1; size <= bytes.length; size++) {
      expect(await collect(chunked(bytes, size), 10)).toEqual([
        { lineNo: 1, offset: 0, text: 'ééééé', terminated: true },
        { lineNo: 2, offset: 11, text: null, terminated: true },
      ]);
    }
  });

  it('reports an over-long unterminated last line as text:null, terminated:false', async () => {
    const bytes = Buffer.from(`a\n${'y'.repeat(50)}`, 'utf8');
    for (let size = 1; size <= bytes.length; size++) {
      expect(await collect(chunked(bytes, size), 10)).toEqual([
        { lineNo: 1, offset: 0, text: 'a', terminated: true },
        { lineNo: 2, offset: 2, text: null, terminated: false },
      ]);
    }
  });

  it('handles several over-long lines in a row', async () => {
    const bytes = Buffer.from(`${'a'.repeat(20)}\n${'b'.repeat(20)}\nc\n`, 'utf8');
    for (let size = 1; size <= bytes.length; size++) {
      expect(await collect(chunked(bytes, size), 5)).toEqual([
        { lineNo: 1, offset: 0, text: null, terminated: true },
        { lineNo: 2, offset: 21, text: null, terminated: true },
        { lineNo: 3, offset: 42, text: 'c', terminated: true },
      ]);
    }
  });

  it('matches a naive split on a larger pseudo-random input in random chunks', async () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'é', '€', '😀', '\n', '\n', '{', '"', '\r'];
    let text = '';
    for (let i = 0; i < 5000; i++) text += alphabet[rand(alphabet.length)];
    const bytes = Buffer.from(text, 'utf8');
    const max = 12;
    const expected: Line[] = [];
    let offset = 0;
    const pieces = text.split('\n');
    pieces.forEach((piece, i) => {
      const len = Buffer.byteLength(piece);
      const last = i === pieces.length - 1;
      if (!(last && len === 0)) {
        expected.push({ lineNo: i + 1, offset, text: len > max ? null : piece, terminated: !last });
      }
      offset += len + 1;
    });
    const at: number[] = [];
    for (let p = rand(7); p < bytes.length; p += 1 + rand(13)) at.push(p);
    expect(await collect(cut(bytes, at), max)).toEqual(expected);
  });
});

function line(text: string | null, terminated = true): Line {
  return { lineNo: 7, offset: 100, text, terminated };
}

describe('parseLine', () => {
  it('parses a JSON object', () => {
    expect(parseLine(line('{"type":"x","payload":{"a":[1,2]}}'), 100)).toEqual({
      ok: true,
      record: { type: 'x', payload: { a: [1, 2] } },
    });
  });

  it('parses an object with surrounding whitespace and a trailing CR', () => {
    expect(parseLine(line('  {"a":1}\r'), 100)).toEqual({ ok: true, record: { a: 1 } });
  });

  it('parses an empty object', () => {
    expect(parseLine(line('{}'), 100)).toEqual({ ok: true, record: {} });
  });

  it.each(['{', '{"a":1', '{"a":1}}', "{'a':1}", 'garbage', '{"a":1} {"b":2}', '{"a":1},', 'undefined'])(
    'reports %j as not valid JSON',
    (text) => {
      expect(parseLine(line(text), 100)).toEqual({ ok: false, reason: 'not valid JSON' });
    },
  );

  it.each(['[1,2]', '[]', '[{"a":1}]', '42', '-1.5', 'null', 'true', 'false', '"a string"'])(
    'reports %j as not a JSON object',
    (text) => {
      expect(parseLine(line(text), 100)).toEqual({ ok: false, reason: 'not a JSON object' });
    },
  );

  it.each(['', ' ', '\t', '\r', '  \r'])('reports %j as an empty line', (text) => {
    expect(parseLine(line(text), 100)).toEqual({ ok: false, reason: 'empty line' });
  });

  it('reports a dropped over-long line with the limit in the reason', () => {
    expect(parseLine(line(null), 100)).toEqual({ ok: false, reason: 'line longer than 100 bytes' });
    expect(parseLine(line(null), 67108864)).toEqual({ ok: false, reason: 'line longer than 67108864 bytes' });
  });

  it('gives reasons that never echo the line content', () => {
    const secret = 'sk-SECRET-123';
    for (const text of [`{"${secret}"`, `["${secret}"]`, `"${secret}"`]) {
      const parsed = parseLine(line(text), 100);
      expect(parsed.ok).toBe(false);
      expect(JSON.stringify(parsed)).not.toContain(secret);
    }
  });
});

describe('readRecord', () => {
  it('returns records and reasons for terminated lines exactly like parseLine', () => {
    expect(readRecord(line('{"a":1}'), 100)).toEqual({ ok: true, record: { a: 1 } });
    expect(readRecord(line('{"a":'), 100)).toEqual({ ok: false, reason: 'not valid JSON' });
    expect(readRecord(line('[1]'), 100)).toEqual({ ok: false, reason: 'not a JSON object' });
    expect(readRecord(line(''), 100)).toEqual({ ok: false, reason: 'empty line' });
    expect(readRecord(line(null), 100)).toEqual({ ok: false, reason: 'line longer than 100 bytes' });
  });

  it('counts an unterminated last line that is a complete JSON object', () => {
    expect(readRecord(line('{"a":1}', false), 100)).toEqual({ ok: true, record: { a: 1 } });
  });

  it.each([
    ['half-written object', '{"a":'],
    ['object missing its brace', '{"a":1'],
    ['array', '[1,2]'],
    ['number prefix of something longer', '12'],
    ['null', 'null'],
    ['whitespace', '   '],
  ])('leaves out an unterminated last line that is not a whole object (%s)', (_what, text) => {
    expect(readRecord(line(text, false), 100)).toBeNull();
  });

  it('leaves out an unterminated over-long last line', () => {
    expect(readRecord(line(null, false), 100)).toBeNull();
  });
});
