import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findClaudeHome } from '../../../../src/rollout/sources/claude/home.js';
import {
  ClaudeUsageCounter,
  claudeCost,
  countClaudeResponses,
  readClaudeTokens,
  restoreClaudeCounterState,
  withClaudeSeenKeys,
  type ClaudeResponse,
} from '../../../../src/rollout/sources/claude/usage-counter.js';
import type { JsonRecord } from '../../../../src/rollout/types.js';
import { countedByFile, realHome, recordsOf, tempClaudeHome, writeJsonl } from './claude-home.js';

type Tuple = [input: number, cacheWrite: number, cacheRead: number, output: number];

/**
 * Every API response of the real home, read off the files by hand: one tuple per distinct
 * (message.id, requestId), usage as [input, cache writes (all 5-minute here), cache reads,
 * output]. The 529 error of 184cbaac counts nothing. Sub-agent responses carry the stream's
 * opening usage (see docs/claude.md): that is what their files hold.
 */
const BY_HAND: Record<string, { model: string; responses: Tuple[] }> = {
  '06d6efa2': { model: 'claude-sonnet-4-5-20250929', responses: [[1, 34330, 0, 114], [2, 2385, 32287, 180], [4, 258, 34672, 131]] },
  '184cbaac': { model: '-', responses: [] },
  '1c88eea7': { model: 'claude-opus-4-5-20251101', responses: [[4, 30975, 0, 59], [3, 2027, 29099, 52]] },
  '3471cd50': { model: 'claude-sonnet-4-5-20250929', responses: [[1, 30995, 0, 128], [1, 2203, 29107, 72], [9, 160, 31310, 89]] },
  bf2f8144: { model: 'claude-opus-4-5-20251101', responses: [[2, 30983, 0, 107], [2, 2224, 29101, 193]] },
  '501e2b5f': { model: 'claude-opus-4-8', responses: [[2, 20380, 0, 60], [7, 1979, 18579, 66]] },
  '630c32ab': { model: 'claude-opus-4-8', responses: [[2, 20375, 0, 98]] },
  '36760438': { model: 'claude-sonnet-4-5-20250929', responses: [[9, 30971, 0, 61], [5, 2119, 29098, 83], [8, 361, 31217, 110]] },
  '5b0f19a8': {
    model: 'claude-sonnet-4-5-20250929',
    responses: [[1, 30990, 0, 162], [8, 2188, 29098, 75], [9, 31430, 0, 59], [4, 249, 31430, 89], [1, 220, 31679, 66], [7, 161, 31899, 64]],
  },
  a1d78632: { model: 'claude-sonnet-4-5-20250929', responses: [[5, 30973, 0, 131]] },
  'agent-a8e81a30845775904': { model: 'claude-sonnet-4-5-20250929', responses: [[8, 17002, 0, 4], [2, 2208, 15604, 7]] },
  'agent-a5a7296fb79c3c7af': { model: 'claude-opus-4-5-20251101', responses: [[8, 16998, 0, 7], [4, 2045, 15600, 7]] },
};

const tuple = (r: ClaudeResponse): Tuple => [r.inputTokens, r.cacheWrite5mTokens + r.cacheWrite1hTokens, r.cacheReadTokens, r.outputTokens];
const sum = (ts: Tuple[]): Tuple => ts.reduce<Tuple>((a, t) => [a[0] + t[0], a[1] + t[1], a[2] + t[2], a[3] + t[3]], [0, 0, 0, 0]);
const fileKey = (rel: string) => {
  const name = rel.split('/').at(-1)!.replace('.jsonl', '');
  return name.startsWith('agent-') ? name : name.slice(0, 8);
};

describe('Claude usage on the real home', () => {
  it('counts one response per (message.id, requestId), as read off the files by hand', async () => {
    const counted = await countedByFile(await realHome());
    expect(new Set([...counted.keys()].map(fileKey))).toEqual(new Set(Object.keys(BY_HAND)));
    for (const [rel, responses] of counted) {
      const expected = BY_HAND[fileKey(rel)]!;
      expect(responses.map(tuple), rel).toEqual(expected.responses);
      for (const r of responses) expect(r.model, rel).toBe(expected.model);
    }
  });

  it('totals per model and cost: worked out by hand, and equal to ccusage 18.0.11 where ccusage has a price', async () => {
    const counted = [...(await countedByFile(await realHome())).values()].flat();
    const byModel = (model: string) => sum(counted.filter((r) => r.model === model).map(tuple));
    const hand = (model: string) => sum(Object.values(BY_HAND).filter((f) => f.model === model).flatMap((f) => f.responses));
    for (const model of ['claude-sonnet-4-5-20250929', 'claude-opus-4-5-20251101', 'claude-opus-4-8']) {
      expect(byModel(model)).toEqual(hand(model));
    }

    // `ccusage daily --json --offline` over a copy of this home (CLAUDE_CONFIG_DIR), 2026-12-06:
    // input 119, output 2274, cacheCreation 347189, cacheRead 419780; sonnet-4-5 $0.94486155,
    // opus-4-5 $0.580465, opus-4-8 $0 (its offline table has no price for it).
    const all = sum(counted.map(tuple));
    expect(all).toEqual([119, 347189, 419780, 2274]);
    expect(byModel('claude-sonnet-4-5-20250929')).toEqual([85, 219203, 327401, 1625]);
    expect(byModel('claude-opus-4-5-20251101')).toEqual([23, 85252, 73800, 425]);
    expect(byModel('claude-opus-4-8')).toEqual([11, 42734, 18579, 224]);
    const cost = (model: string) => {
      const [input, write, read, output] = byModel(model);
      const tokens = { inputTokens: input, cacheWrite5mTokens: write, cacheWrite1hTokens: 0, cacheReadTokens: read, outputTokens: output };
      return claudeCost(model, tokens);
    };
    // $3 input, $3.75 5-minute writes, $0.30 reads, $15 output per 1M.
    expect(cost('claude-sonnet-4-5-20250929')).toBeCloseTo((85 * 3 + 219203 * 3.75 + 327401 * 0.3 + 1625 * 15) / 1e6, 12);
    expect(cost('claude-sonnet-4-5-20250929')).toBeCloseTo(0.94486155, 12);
    // $5, $6.25, $0.50, $25.
    expect(cost('claude-opus-4-5-20251101')).toBeCloseTo(0.580465, 12);
    // The one difference with ccusage: Opus 4.8 is priced here ($5, $6.25, $0.50, $25), ccusage counts it $0.
    expect(cost('claude-opus-4-8')).toBeCloseTo((11 * 5 + 42734 * 6.25 + 18579 * 0.5 + 224 * 25) / 1e6, 12);
    expect(cost('claude-opus-4-8')).toBeCloseTo(0.282032, 12);
  });

  it("ccusage's `session` rows (one per directory holding files) are the sums of our sessions in that directory", async () => {
    const counted = await countedByFile(await realHome());
    const byDir = new Map<string, Tuple[]>();
    for (const [rel, responses] of counted) {
      const dir = rel.split('/').slice(1, -1).join('/');
      byDir.set(dir, [...(byDir.get(dir) ?? []), ...responses.map(tuple)]);
    }
    // `ccusage session --json --offline`: [input, cacheCreation, cacheRead, output] per row.
    expect(Object.fromEntries([...byDir].map(([dir, ts]) => [dir, sum(ts)]))).toEqual({
      '-home-dev-web-app': [57, 129662, 184421, 900],
      '-home-dev-api-server': [29, 136540, 185576, 1125],
      '-home-dev-donn-es-caf-': [11, 42734, 18579, 224],
      '-home-dev-api-server/06d6efa2-55a7-436d-8ca5-53285341e9bb/subagents': [10, 19210, 15604, 11],
      '-home-dev-api-server/bf2f8144-4940-4abd-ae48-51a4b8a6357e/subagents': [12, 19043, 15600, 14],
    });
  });

  it('the API error line (529, model <synthetic>) counts nothing', async () => {
    const home = await realHome();
    const path = join(home.home, 'projects/-home-dev-api-server/184cbaac-320a-4b57-8bd4-52915a25e2b7.jsonl');
    const counter = new ClaudeUsageCounter();
    const responses = (await recordsOf(path)).map((r, i) => counter.feed(r, i + 1)).filter((r) => r !== null);
    expect(responses).toEqual([]);
  });

  it('a response carries its line, time, model and the turn (the prompt) it answers', async () => {
    const home = await realHome();
    const path = join(home.home, 'projects/-home-dev-api-server/06d6efa2-55a7-436d-8ca5-53285341e9bb.jsonl');
    const counter = new ClaudeUsageCounter();
    const responses = (await recordsOf(path)).map((r, i) => counter.feed(r, i + 1)).filter((r) => r !== null);
    expect(responses.map((r) => [r.lineNo, r.at, r.turnId, r.responseKey])).toEqual([
      [7, '2026-12-06T03:22:30.280Z', '7f43b64a-e54d-4144-8bba-98c2467ab73c', 'msg_01H2Fdy4YJfZWkqq8uieVQqa:req_011Czw53XuJDXZXsGNiY9bGX'],
      [11, '2026-12-06T03:22:31.495Z', '7f43b64a-e54d-4144-8bba-98c2467ab73c', 'msg_01jFGfRp9tfhUIRMbE1pLf6N:req_011CvdXLevk7wfIS4B23iFO5'],
      [16, '2026-12-06T03:22:36.728Z', '64808bf6-1d48-4255-834e-85375f6f87a1', 'msg_01zjsGayJA2mzDCLnfGmNbrS:req_011CvPOWONzGnKczRtNPnADo'],
    ]);
    expect(responses[0]!.totalTokens).toBe(1 + 34330 + 0 + 114);
  });
});

const T = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.000Z`;

function assistant(id: string, req: string, usage: JsonRecord, extra: JsonRecord = {}): JsonRecord {
  return {
    type: 'assistant',
    timestamp: T(1),
    requestId: req,
    isSidechain: false,
    message: { id, role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'x' }], usage },
    ...extra,
  };
}
const U = (input: number, write: number, read: number, output: number, extra: JsonRecord = {}) => ({
  input_tokens: input,
  cache_creation_input_tokens: write,
  cache_read_input_tokens: read,
  output_tokens: output,
  ...extra,
});

describe('Claude usage rules on written files', () => {
  it('prefers a main-chain copy over a sidechain copy, whatever file comes first', async () => {
    const dir = await tempClaudeHome();
    const side = assistant('msg_1', 'req_1', U(1, 2, 3, 4), { isSidechain: true, timestamp: T(1) });
    const main = assistant('msg_1', 'req_1', U(1, 2, 3, 4), { timestamp: T(5) });
    const older = join(dir, 'projects/-p/00000000-0000-4000-8000-000000000001.jsonl');
    const newer = join(dir, 'projects/-p/00000000-0000-4000-8000-000000000002.jsonl');
    await writeJsonl(older, [side]);
    await writeJsonl(newer, [main]);
    const counted = await countedByFile((await findClaudeHome(dir))!);
    expect(counted.get('projects/-p/00000000-0000-4000-8000-000000000001.jsonl')).toEqual([]);
    expect(counted.get('projects/-p/00000000-0000-4000-8000-000000000002.jsonl')!.map(tuple)).toEqual([[1, 2, 3, 4]]);
  });

  it('a response copied into a later file (an old --resume) belongs to the oldest file; lines without ids always count', async () => {
    const dir = await tempClaudeHome();
    const copy = assistant('msg_1', 'req_1', U(1, 0, 0, 1));
    const noIds = { ...assistant('msg_x', 'req_x', U(0, 0, 0, 7)), requestId: undefined };
    await writeJsonl(join(dir, 'projects/-p/00000000-0000-4000-8000-000000000001.jsonl'), [{ ...copy, timestamp: T(1) }]);
    await writeJsonl(join(dir, 'projects/-p/00000000-0000-4000-8000-000000000002.jsonl'), [{ ...copy, timestamp: T(9) }, noIds, noIds]);
    const counted = await countedByFile((await findClaudeHome(dir))!);
    expect(counted.get('projects/-p/00000000-0000-4000-8000-000000000001.jsonl')!.length).toBe(1);
    expect(counted.get('projects/-p/00000000-0000-4000-8000-000000000002.jsonl')!.map((r) => r.responseKey)).toEqual(['#L2', '#L3']);
  });

  it('a response with 50 KB ids is still one response across files, under a bounded key', async () => {
    const dir = await tempClaudeHome();
    const copy = assistant('m'.repeat(50_000), 'r'.repeat(50_000), U(1, 0, 0, 1));
    await writeJsonl(join(dir, 'projects/-p/00000000-0000-4000-8000-000000000001.jsonl'), [{ ...copy, timestamp: T(1) }]);
    await writeJsonl(join(dir, 'projects/-p/00000000-0000-4000-8000-000000000002.jsonl'), [{ ...copy, timestamp: T(9) }]);
    const counted = await countedByFile((await findClaudeHome(dir))!);
    expect(counted.get('projects/-p/00000000-0000-4000-8000-000000000001.jsonl')!.map((r) => r.responseKey)).toEqual([
      expect.stringMatching(/^~[\w-]{43}$/),
    ]);
    expect(counted.get('projects/-p/00000000-0000-4000-8000-000000000002.jsonl')).toEqual([]);
  });

  it('splits cache writes by lifetime where the usage does, and prices 1-hour writes at their own price', () => {
    const t = readClaudeTokens(U(10, 300, 0, 5, { cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 } }))!;
    expect(t).toEqual({ inputTokens: 10, cacheWrite5mTokens: 100, cacheWrite1hTokens: 200, cacheReadTokens: 0, outputTokens: 5 });
    // Sonnet 4.5: $3 input, $3.75 5m, $6 1h, $15 output.
    expect(claudeCost('claude-sonnet-4-5', t)).toBeCloseTo((10 * 3 + 100 * 3.75 + 200 * 6 + 5 * 15) / 1e6, 12);
    // Without the split, every write is a 5-minute write.
    expect(readClaudeTokens(U(0, 300, 0, 0))).toMatchObject({ cacheWrite5mTokens: 300, cacheWrite1hTokens: 0 });
  });

  it('hostile usage: negative, fractional, huge and non-numeric counts; a usage that is not an object', () => {
    const t = readClaudeTokens({ input_tokens: -5, output_tokens: 1.9, cache_read_input_tokens: 1e300, cache_creation_input_tokens: '9' })!;
    expect(t).toEqual({ inputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 2 ** 40, outputTokens: 1 });
    expect(readClaudeTokens('lots')).toBeNull();
    const counter = new ClaudeUsageCounter();
    expect(counter.feed({ type: 'assistant', message: { id: 'm', usage: 7 } }, 1)).toBeNull();
    expect(counter.feed({ type: 'assistant', message: 'text' }, 2)).toBeNull();
    expect(counter.feed({ type: 'mystery', message: { usage: U(1, 1, 1, 1) } }, 3)).toBeNull();
  });

  it('an unknown model is counted with no price (null cost, never $0)', () => {
    const counter = new ClaudeUsageCounter();
    const message = { id: 'm', model: 'claude-future-9', usage: U(1, 0, 0, 1) };
    const r = counter.feed(assistant('m', 'r', U(1, 0, 0, 1), { message }), 1)!;
    expect(r.model).toBe('claude-future-9');
    expect(claudeCost(r.model, r)).toBeNull();
    expect(claudeCost('constructor', r)).toBeNull();
  });

  it('resumes from a stored state after an append without counting a response again', () => {
    const first = new ClaudeUsageCounter();
    expect(first.feed(assistant('m1', 'r1', U(1, 0, 0, 1)), 1)).not.toBeNull();
    const stored = JSON.parse(JSON.stringify(first.state)) as unknown;
    const again = new ClaudeUsageCounter(restoreClaudeCounterState(stored)!);
    expect(again.feed(assistant('m1', 'r1', U(1, 0, 0, 1)), 2)).toBeNull();
    expect(again.feed(assistant('m2', 'r2', U(1, 0, 0, 1)), 3)).not.toBeNull();
    expect(restoreClaudeCounterState({ v: 2 })).toBeNull();
  });

  it('resumes from a checkpoint (no digests) and the keys a store holds, as the Codex counter does', () => {
    const first = new ClaudeUsageCounter();
    const returned = [
      first.feed(assistant('m1', 'r1', U(1, 0, 0, 1), { isSidechain: true }), 1)!,
      first.feed(assistant('m2', 'r2', U(1, 0, 0, 1)), 2)!,
      first.feed(assistant('m3', 'r3', U(1, 0, 0, 1)), 3)!,
    ];
    expect(first.checkpoint.seen).toEqual([]);
    expect(first.state.seen).toHaveLength(3);
    const stored = JSON.parse(JSON.stringify(first.checkpoint)) as unknown;
    const keys = returned.map((r) => ({ responseKey: r.responseKey, sidechain: r.sidechain }));
    const again = new ClaudeUsageCounter(withClaudeSeenKeys(restoreClaudeCounterState(stored)!, keys));
    expect(again.state.seen.sort()).toEqual(first.state.seen.sort());
    expect(again.feed(assistant('m2', 'r2', U(1, 0, 0, 1)), 4)).toBeNull();
    expect(again.feed(assistant('m1', 'r1', U(1, 0, 0, 1), { isSidechain: true }), 5)).toBeNull();
    expect(again.feed(assistant('m1', 'r1', U(1, 0, 0, 1)), 6)).not.toBeNull(); // the main-chain copy: not seen yet
  });

  it('countClaudeResponses keeps one copy of a key that one file carries twice (sidechain and main)', () => {
    const c = new ClaudeUsageCounter();
    const side = c.feed(assistant('m', 'r', U(1, 0, 0, 1), { isSidechain: true }), 1)!;
    const main = c.feed(assistant('m', 'r', U(1, 0, 0, 1)), 2)!;
    const counted = countClaudeResponses([{ file: 'f', createdAt: T(0), responses: [side, main] }]);
    expect(counted.get('f')).toEqual([main]);
  });
});
