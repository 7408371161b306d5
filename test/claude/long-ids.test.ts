// A usage count parses a long line with its long strings cut (ReadEnv.cutLongStrings), Codex's
// as Claude's (docs/claude.md, "Long lines"), and still counts exactly: ids are never cut, so
// two long ids sharing their first 64 bytes stay two responses, and a long id on a line parsed
// cut is the same id on a line parsed whole (one response split over several lines, a record
// copied). Hostile files: ids of 1.5 KB, lines of 300 KB, the line pool all but full (a count
// that parsed these lines whole would wait for 4 x 300 KB each, then 503).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { appFor, envelopeLines, indexReady, tempHome, writeSession, type Line } from '../helper.js';
import { claudeAnswer, claudePrompt } from '../claude-lines.js';
import { turnContext, u, usageRecord } from '../usage-lines.js';

/**
 * About 300 KB as JSON: a line is parsed from the file, not held, past the 64 KiB hold bound, and
 * parsed whole it would take 4 x 300 KB of the line pool, more than the 256 KiB left to it below.
 * It was 4.5 MB, which only added time (the index's full text of 18 MB: 7 s a test).
 */
const BIG = 'lorem ipsum dolor sit amet, "quoted" \\ é 😀\n'.repeat(6_000);
/** Long ids that differ only past their first 1,500 characters. */
const longId = (kind: string, n: number) => `${kind}_${'x'.repeat(1_500)}_${n}`;

/** A Claude response line: its ids, its text, its output tokens. */
function claudeLine(sid: string, n: number, ids: { message: string; request: string }, text: string, output: number): string {
  const line = JSON.parse(claudeAnswer(sid, n, text)) as { requestId: string; message: { id: string; usage: { output_tokens: number } } };
  line.requestId = ids.request;
  line.message.id = ids.message;
  line.message.usage.output_tokens = output;
  return JSON.stringify(line);
}

/** The usage of `url` with the line pool all but full (256 KiB left). */
async function countedWithPoolHeld(app: FastifyInstance, url: string): Promise<{ outputTokens: number }> {
  const { lines: pool } = app.memoryBudget;
  const hold = await pool.acquire(pool.capacity - 256 * 1024);
  try {
    const res = await app.inject(url);
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return (res.json() as { totals: { outputTokens: number } }).totals;
  } finally {
    hold();
  }
}

describe('a Claude session of long lines with long ids', () => {
  const sid = 'e0000000-0000-4000-8000-0000000000c1';
  const ids = (n: number) => ({ message: longId('msg', n), request: longId('req', n) });
  const lines = [
    claudePrompt(sid, 0, 'go'),
    // Two responses whose ids share far more than 64 bytes: two, not one.
    claudeLine(sid, 1, ids(1), BIG, 1),
    claudeLine(sid, 2, ids(2), BIG, 20),
    // One response over three lines, the first long (parsed cut), the others short (parsed whole): one.
    claudeLine(sid, 3, ids(3), BIG, 300),
    claudeLine(sid, 4, ids(3), 'and a short block', 300),
    claudeLine(sid, 5, ids(3), 'another', 300),
    // The first response again, further on: the same one, not counted again.
    claudeLine(sid, 6, ids(1), BIG, 1),
  ];

  it.each([false, true])('counts each response once (index: %s)', async (index) => {
    const claudeHome = await tempHome();
    await mkdir(join(claudeHome, 'projects', '-w'), { recursive: true });
    await writeFile(join(claudeHome, 'projects', '-w', `${sid}.jsonl`), lines.join('\n') + '\n');
    const app = await appFor(await tempHome(), index, { agents: ['claude'], claudeHome, memoryWaitMs: 2_000 });
    if (index) await indexReady(app);
    for (const url of [`/conversations/${sid}/usage`, '/usage?agent=claude']) {
      expect((await countedWithPoolHeld(app, url)).outputTokens, url).toBe(1 + 20 + 300);
    }
  }, 120_000);
});

describe('a Codex session of long lines with long ids', () => {
  const id = '01a20c00-0000-7000-8000-0000000000c2';
  const stamp = '2025-10-01T10-00-00';
  const at = (s: number) => new Date(Date.UTC(2025, 9, 1, 10) + s * 1000).toISOString();
  /** A token_usage_record made long by a 4 MiB field beside its ids (parsed cut). */
  const longRecord = (s: number, responseId: string, output: number): Line => {
    const line = usageRecord(at(s), id, responseId, u(10, 0, output, 0), { model: 'gpt-5' }) as { payload: Record<string, unknown> };
    line.payload.note = BIG;
    return line;
  };
  const answer = (s: number): Line => ({
    timestamp: at(s),
    type: 'response_item',
    payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: BIG }] },
  });
  const lines: Line[] = [
    ...envelopeLines({ stamp, id, title: 'go' }),
    turnContext(at(1), 'gpt-5'),
    answer(2),
    longRecord(3, longId('resp', 1), 1),
    answer(4),
    longRecord(5, longId('resp', 2), 20),
    // The first record again on a short line (parsed whole): the same response.
    usageRecord(at(6), id, longId('resp', 1), u(10, 0, 1, 0), { model: 'gpt-5' }),
  ];

  it.each([false, true])('counts each response once, its text never parsed whole (index: %s)', async (index) => {
    const home = await tempHome();
    await writeSession(home, { stamp, id }, lines);
    const app = await appFor(home, index, { memoryWaitMs: 2_000 });
    if (index) await indexReady(app);
    for (const url of [`/conversations/${id}/usage`, '/usage']) {
      expect((await countedWithPoolHeld(app, url)).outputTokens, url).toBe(1 + 20);
    }
  }, 120_000);
});
