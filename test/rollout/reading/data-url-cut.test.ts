import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATA_URL_KEEP, DataUrlCutter } from '../../../src/rollout/reading/data-url-cut.js';

/** `text` through a cutter in chunks of `size` bytes. */
function cut(text: string, size: number): string {
  const cutter = new DataUrlCutter(true);
  const bytes = Buffer.from(text);
  // One buffer reused for every chunk, as chunksOf does.
  const shared = Buffer.alloc(size);
  for (let i = 0; i < bytes.length; i += size) {
    const n = bytes.copy(shared, 0, i, Math.min(bytes.length, i + size));
    cutter.feed(shared.subarray(0, n));
  }
  const measured = new DataUrlCutter(false);
  measured.feed(bytes);
  expect(measured.size).toBe(Buffer.byteLength(cutter.text()));
  return cutter.text();
}

const image = `data:image/png;base64,${'iVBORw0KGgoAAAANSUhEUgAA'.repeat(50_000)}`;

describe('DataUrlCutter', () => {
  it('cuts a long data URL to its start, whatever the chunking, and leaves everything else as it was', () => {
    const record = {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'look "here" \\ ok' },
          { type: 'input_image', image_url: image },
        ],
      },
    };
    for (const size of [7, 64, 1000, 65536]) {
      const parsed = JSON.parse(cut(JSON.stringify(record), size));
      expect(parsed.payload.content[0]).toEqual(record.payload.content[0]);
      expect(parsed.payload.content[1].image_url).toBe(image.slice(0, DATA_URL_KEEP));
    }
  });

  it('property: JSON without long data URLs comes out byte for byte', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 50 }), (value, size) => {
        const text = JSON.stringify(value);
        expect(cut(text, size)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('property: long data URLs among any JSON values are cut, and the rest parses the same', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.integer({ min: 1, max: 300 }), (values, size) => {
        const small = image.slice(0, 3000);
        const text = JSON.stringify({ values, images: [small, 'data:short'], after: values });
        const expected = JSON.parse(JSON.stringify({ values, images: [small.slice(0, DATA_URL_KEEP), 'data:short'], after: values }));
        expect(JSON.parse(cut(text, size))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});
