import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  appFor,
  envelopeLines,
  legacyLines,
  recordTypeLines,
  tempHome,
  uuidN,
  withoutUsage,
  writeSession,
  type Line,
} from '../helper.js';

/**
 * On random corpora and random queries, the index answers exactly what a scan of the files
 * answers: the same sessions, pages, cursors, counts and snippets.
 */

const WORDS = ['parser', 'Parser', 'PARSEr', 'données', 'DONNÉES', 'über', 'fix', 'the', 'bug', 'ab', '🚀', 'x', 'ΣΊΣΥΦΟΣ', 'σίσυφος',
  'İstanbul', 'tok"en', 'a\\b', 'naïve', 'e\u0301'];
const text = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(' ', ' ', '  ', '\n', '\t')), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.map(([w, sep]) => w + sep).join('').trim());

const ts = '2025-07-01T00:00:00.000Z';
const item = (payload: Record<string, unknown>): Line => ({ timestamp: ts, type: 'response_item', payload });
const event = (payload: Record<string, unknown>): Line => ({ timestamp: ts, type: 'event_msg', payload });
const extraLine = fc.oneof(
  text.map((t) => event({ type: 'agent_message', message: t })),
  text.map((t) => item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: t }] })),
  text.map((t) => item({ type: 'message', role: 'user', content: [{ type: 'input_text', text: t }] })),
  text.map((t) => event({ type: 'user_message', message: t })),
  text.map((t) => item({ type: 'function_call', name: 'sh', arguments: JSON.stringify({ cmd: t }) })),
  text.map((t) => item({ type: 'function_call_output', call_id: 'c', output: t })),
  text.map((t) => item({ type: 'reasoning', summary: [{ type: 'summary_text', text: t }] })),
  fc.constant<Line>('{"broken json'),
);

const session = fc.record({
  format: fc.constantFrom('envelope', 'envelope', 'record_type', 'legacy'),
  title: fc.option(text, { nil: null }),
  archived: fc.boolean(),
  day: fc.integer({ min: 1, max: 4 }),
  second: fc.integer({ min: 0, max: 3 }),
  minutesLater: fc.integer({ min: 0, max: 5 }),
  extra: fc.array(extraLine, { maxLength: 6 }),
});

const query = fc.record({
  q: fc.oneof(text, fc.constantFrom(...WORDS)),
  match: fc.constantFrom('phrase', 'words'),
  scope: fc.constantFrom('messages', 'tools', 'all'),
  sort: fc.constantFrom('created', 'updated'),
  order: fc.constantFrom('desc', 'asc'),
  archived: fc.constantFrom('false', 'true', 'all'),
  includeEmpty: fc.boolean(),
  limit: fc.integer({ min: 1, max: 4 }),
  matches: fc.integer({ min: 0, max: 3 }),
});

const corpora = fc.array(session, { minLength: 1, maxLength: 12 });
const queries = fc.array(query, { minLength: 4, maxLength: 8 });

let seen: (n: number) => void = () => {};

async function pages(app: FastifyInstance, params: Record<string, string | number | boolean>): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 40; i++) {
    const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    if (cursor !== null) search.set('cursor', cursor);
    const res = await app.inject(`/search?${search}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: { updatedAt: string }[]; nextCursor: string | null };
    seen(body.items.length);
    out.push(body);
    cursor = body.nextCursor;
    if (cursor === null) return out;
  }
  throw new Error('paging did not end');
}

describe('search: index and scan agree', () => {
  it('on random corpora and queries', async () => {
    let itemsSeen = 0;
    seen = (n) => (itemsSeen += n);
    await fc.assert(
      fc.asyncProperty(corpora, queries, async (specs, qs) => {
        const home = await tempHome();
        for (const [n, s] of specs.entries()) {
          const stamp = `2025-07-0${s.day}T10-00-0${s.second}`;
          const mtime = new Date(Date.UTC(2025, 6, s.day, 11, s.minutesLater));
          const spec = { stamp, id: uuidN(n + 1), title: s.title, archived: s.archived, mtime, extra: s.extra };
          const titled = { ...spec, title: s.title ?? '' };
          const lines =
            s.format === 'envelope' ? envelopeLines(spec) : s.format === 'record_type' ? recordTypeLines(titled) : legacyLines(titled);
          await writeSession(home, spec, lines);
        }
        const scan = await appFor(home, false);
        const index = await appFor(home, true);
        for (const params of qs) {
          // The index's answers carry usage figures, the scan's none.
          const [fromIndex, fromScan] = [withoutUsage(await pages(index, params)), withoutUsage(await pages(scan, params))];
          expect(fromIndex, JSON.stringify(params)).toEqual(fromScan);
        }
        await scan.close();
        await index.close();
      }),
      { numRuns: 12 },
    );
    // The corpora and queries are rich enough that many searches find something.
    expect(itemsSeen).toBeGreaterThan(20);
  }, 120_000); // generated corpora, each indexed: slow on a loaded machine, and no timing is asserted
});
