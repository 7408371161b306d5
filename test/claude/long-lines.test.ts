// A Claude usage count parses a long line with its long strings cut (ReadEnv.cutLongStrings;
// docs/claude.md, "Long lines"): a 15 MiB text block must not become a 15 MiB string, and 48
// counts of such lines at once must stay near the memory budget. Told here by what the parse
// takes from the line pool: with the pool all but full, a count of 4 MiB lines still answers
// (the cut line is a few hundred bytes); parsed whole, each would wait for 16 MiB, then 503.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataUrlCutter } from '../../src/rollout/reading/data-url-cut.js';
import { appFor, tempHome } from '../helper.js';
import { claudeAnswer as answer, claudePrompt as prompt } from '../claude-lines.js';

/** `text` through an every-string cutter in chunks of `size` bytes (one shared buffer, as chunksOf reads). */
function cutEvery(text: string, size: number): string {
  const cutter = new DataUrlCutter(true, true);
  const bytes = Buffer.from(text);
  const shared = Buffer.alloc(size);
  for (let i = 0; i < bytes.length; i += size) {
    const n = bytes.copy(shared, 0, i, Math.min(bytes.length, i + size));
    cutter.feed(shared.subarray(0, n));
  }
  const measured = new DataUrlCutter(false, true);
  measured.feed(bytes);
  expect(measured.size).toBe(Buffer.byteLength(cutter.text()));
  return cutter.text();
}

describe('cutting every long string', () => {
  it('leaves valid JSON: each long string a non-empty start of itself, short ones whole, whatever the chunking', () => {
    const piece = fc.constantFrom('a', 'é', '日本', '😀', '"', '\\', '\n', '\t', ' ', '\u0001', 'x'.repeat(100));
    const long = fc.array(piece, { minLength: 300, maxLength: 1500 }).map((p) => p.join(''));
    fc.assert(
      fc.property(long, fc.string({ maxLength: 50 }), fc.integer({ min: 1, max: 5000 }), (text, short, size) => {
        const padded = ' '.repeat(200) + text;
        const record = { message: { id: short, content: [{ type: 'text', text }, { type: 'text', text: padded }] }, n: 1 };
        const parsed = JSON.parse(cutEvery(JSON.stringify(record), size)) as typeof record;
        expect(parsed.message.id).toBe(short);
        expect(parsed.n).toBe(1);
        const [a, b] = parsed.message.content as { text: string }[];
        for (const [cut, whole] of [
          [a!.text, text],
          [b!.text, padded],
        ] as const) {
          expect(whole.startsWith(cut)).toBe(true);
          if (Buffer.byteLength(JSON.stringify(whole)) > 1100) expect(cut.length).toBeLessThan(whole.length);
          if (whole.trim() !== '') expect(cut.trim()).not.toBe('');
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('cutting every long string but ids (claude30)', () => {
  it('leaves the values of id fields whole, long or escaped or nested, and cuts their neighbours', () => {
    const piece = fc.constantFrom('a', 'é', '😀', '"', '\\', '\n', 'x'.repeat(100));
    const long = fc.array(piece, { minLength: 300, maxLength: 800 }).map((p) => p.join(''));
    fc.assert(
      fc.property(long, fc.integer({ min: 1, max: 3000 }), (text, size) => {
        const record = {
          requestId: text,
          message: { id: text, content: [{ type: 'text', text, id: [text] }], model: text },
          payload: { rate_limits: { primary: { note: text, list: [text, { deep: text }] } }, after: text, response_id: text },
          uuid: text,
        };
        // A key written with an escape is the same key.
        const json = JSON.stringify(record).replace('"uuid":', '"\\u0075uid":');
        const parsed = JSON.parse(cutEvery(json, size)) as typeof record;
        expect(parsed.requestId).toBe(text);
        expect(parsed.message.id).toBe(text);
        expect(parsed.message.model).toBe(text);
        expect(parsed.payload.rate_limits).toEqual(record.payload.rate_limits);
        expect(parsed.payload.response_id).toBe(text);
        expect(parsed.uuid).toBe(text);
        // Not an id field's value: cut (an array under `id` is kept, its strings too).
        expect(parsed.message.content[0]!.id).toEqual([text]);
        expect(parsed.message.content[0]!.text.length).toBeLessThan(text.length);
        expect(parsed.payload.after.length).toBeLessThan(text.length);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a Claude session of 4 MiB lines, counted with the line pool all but full', () => {
  it("answers its usage (no index) with every response counted; the lines' strings never parsed whole", async () => {
    const claudeHome = await tempHome();
    const project = join(claudeHome, 'projects', '-w');
    await mkdir(project, { recursive: true });
    const id = 'e0000000-0000-4000-8000-000000000001';
    const big = 'lorem ipsum dolor sit amet, "quoted" \\ é 😀\n'.repeat(100_000); // about 4.5 MiB as JSON
    const longPrompt = prompt(id, 2, `a long prompt: ${big}`);
    const lines = [prompt(id, 0, 'go'), answer(id, 1, big), longPrompt, answer(id, 3, big), answer(id, 4, 'short')];
    await writeFile(join(project, `${id}.jsonl`), lines.join('\n') + '\n');
    const app = await appFor(await tempHome(), false, { agents: ['claude'], claudeHome, memoryWaitMs: 2_000 });
    const { lines: pool } = app.memoryBudget;
    const hold = await pool.acquire(pool.capacity - 256 * 1024);
    try {
      const res = await app.inject(`/conversations/${id}/usage`);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      const usage = res.json() as { totals: { outputTokens: number }; turns: unknown[] };
      expect(usage.totals.outputTokens).toBe(3 * 10);
      // The long prompt is still a prompt: it begins the second turn.
      expect(usage.turns).toHaveLength(2);
    } finally {
      hold();
    }
    // A long first prompt is still the title (parsed whole: its text is wanted).
    const first = 'e0000000-0000-4000-8000-000000000002';
    const firstLines = [prompt(first, 10, `a long prompt: ${big}`), answer(first, 11, big)];
    await writeFile(join(project, `${first}.jsonl`), firstLines.join('\n') + '\n');
    const list = await app.inject('/conversations?limit=10');
    expect(list.statusCode).toBe(200);
    const item = (list.json().items as { id: string; title: string; model: string }[]).find((i) => i.id === first);
    expect(item?.title.startsWith('a long prompt: lorem ipsum')).toBe(true);
    expect(item?.title.length).toBeGreaterThan(1000);
  }, 60_000);
});
