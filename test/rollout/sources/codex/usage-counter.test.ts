import { describe, expect, it } from 'vitest';
import { restoreCounterState, UsageCounter, type UsageResponse } from '../../../../src/rollout/sources/codex/usage-counter.js';
import type { Line } from '../../../helper.js';
import { sessionMeta, threadSettings, tokenCount, turnContext, u, usageRecord, v7At } from '../../../usage-lines.js';

type Rec = Record<string, unknown>;

function count(lines: Line[], counter = new UsageCounter()): { responses: UsageResponse[]; counter: UsageCounter } {
  const responses: UsageResponse[] = [];
  lines.forEach((line, i) => {
    const r = counter.feed(line as Rec, i + 1);
    if (r !== null) responses.push(r);
  });
  return { responses, counter };
}

const tokens = (r: UsageResponse) => [r.inputTokens, r.cachedInputTokens, r.outputTokens, r.reasoningOutputTokens, r.totalTokens];
const ID = '00000000-0000-4000-8000-000000000001';
const T = (s: number) => `2025-10-01T10:00:${String(s).padStart(2, '0')}.000Z`;

describe('UsageCounter: token_count events (rule 2)', () => {
  it('counts the growth of the total; a re-emitted total and info: null count nothing', () => {
    const rate = { primary: { used_percent: 12.5, window_minutes: 300 } };
    const { responses, counter } = count([
      sessionMeta(T(0), ID),
      turnContext(T(1), 'gpt-5', 'turn-1'),
      tokenCount(T(2), u(1000, 200, 100, 50), u(1000, 200, 100, 50)),
      tokenCount(T(3), u(1000, 200, 100, 50), u(1000, 200, 100, 50)), // re-emitted
      tokenCount(T(4), null, null, { rateLimits: rate }), // info: null
      tokenCount(T(5), u(1500, 300, 180, 60), u(500, 100, 80, 10)),
    ]);
    expect(responses.map(tokens)).toEqual([
      [1000, 200, 100, 50, 1100],
      [500, 100, 80, 10, 580],
    ]);
    expect(responses[1]).toMatchObject({ lineNo: 6, at: T(5), model: 'gpt-5', turnId: 'turn-1', source: 'token_count' });
    expect(responses[1]!.responseKey).toBe('#L6');
    expect(responses[1]!.threadId).toBe(ID);
    expect(counter.state).toMatchObject({ rateLimits: rate, contextWindow: 258400, peakInputTokens: { token_count: 1000, record: 0 } });
  });

  it('a decreasing total counts its last usage (or its total without one); an event without a total counts its last', () => {
    const fill = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 258400 };
    const { responses } = count([
      sessionMeta(T(0), ID),
      tokenCount(T(1), u(5000, 0, 500, 0), null), // the first, no last: its total
      tokenCount(T(2), u(6000, 1000, 600, 0), null),
      tokenCount(T(3), fill, { ...fill, total_tokens: 252400 }), // fill_to_context_window: no usage
      tokenCount(T(4), u(300, 0, 20, 0), u(300, 0, 20, 0)), // grows from the filled total again
      tokenCount(T(5), u(100, 0, 10, 0), null), // decreases, no last: its total
      tokenCount(T(6), null, u(50, 0, 5, 0)), // no total: its last; the baseline stays
      tokenCount(T(7), u(120, 0, 12, 0), u(20, 0, 2, 0)),
    ]);
    expect(responses.map(tokens)).toEqual([
      [5000, 0, 500, 0, 5500],
      [1000, 1000, 100, 0, 1100],
      [300, 0, 20, 0, 320],
      [100, 0, 10, 0, 110],
      [50, 0, 5, 0, 55],
      [20, 0, 2, 0, 22],
    ]);
  });

  it('takes the time of the usage line, or of the last line before it that had one', () => {
    const { responses } = count([sessionMeta(T(0), ID), { ...(tokenCount(T(1), u(10, 0, 1, 0), null) as Rec), timestamp: 'not a time' }]);
    expect(responses[0]!.at).toBe(T(0));
  });
});

describe('UsageCounter: token_usage_record lines (rule 1)', () => {
  it('switches the file to records, retroactively: token_count responses stop counting, earlier ones too', () => {
    const { responses, counter } = count([
      sessionMeta(T(0), ID),
      turnContext(T(1), 'o3', 'turn-1'),
      tokenCount(T(2), u(100, 0, 10, 0), u(100, 0, 10, 0)),
    ]);
    expect(responses).toHaveLength(1);
    expect(counter.countsTokenCount).toBe(true);
    const more = count(
      [
        usageRecord(T(3), ID, 'resp_1', u(400, 100, 40, 20)),
        tokenCount(T(4), u(500, 100, 50, 20), u(400, 100, 40, 20)),
        usageRecord(T(5), ID, 'resp_1', u(400, 100, 40, 20)), // the same response again
        {
          timestamp: T(6),
          type: 'compacted',
          payload: { message: '', latest_token_usage_record: { thread_id: ID, response_id: 'resp_2', usage: u(9999, 0, 9, 0) } },
        },
        usageRecord(T(7), ID, 'resp_2', u(600, 300, 60, 0), { model: 'o4-mini-2025-04-16', turnId: 'turn-2' }),
      ],
      counter,
    ).responses;
    expect(counter.countsTokenCount).toBe(false);
    expect(counter.state.hasRecords).toBe(true);
    expect(more.map((r) => [r.responseKey, r.source, r.model, r.turnId, ...tokens(r)])).toEqual([
      [`${ID}/resp_1`, 'record', 'o3', 'turn-1', 400, 100, 40, 20, 440],
      [`${ID}/resp_2`, 'record', 'o4-mini-2025-04-16', 'turn-2', 600, 300, 60, 0, 660],
    ]);
  });

  it('keys a record without a response id to its line, and takes the thread from the file without a thread id', () => {
    const record = usageRecord(T(1), ID, 'x', u(10, 0, 1, 0)) as { payload: Rec };
    delete record.payload.response_id;
    delete record.payload.thread_id;
    const { responses } = count([sessionMeta(T(0), ID), record as Line]);
    expect(responses[0]).toMatchObject({ responseKey: '#L2', threadId: ID, model: 'unknown' });
  });

  it('keys a long response id by its digest: one length of key, whatever the id (V8 hashes long strings by length)', () => {
    const long = (c: string) => c.repeat(50_000);
    const { responses } = count([
      sessionMeta(T(0), ID),
      usageRecord(T(1), ID, long('a'), u(10, 0, 1, 0)),
      usageRecord(T(2), ID, long('b'), u(20, 0, 2, 0)),
      usageRecord(T(3), ID, long('a'), u(10, 0, 1, 0)), // the first again: counted once
    ]);
    expect(responses.map((r) => r.totalTokens)).toEqual([11, 22]);
    const [a, b] = responses.map((r) => r.responseKey);
    expect(a).toMatch(/^~[\w-]{43}$/);
    expect(b).toMatch(/^~[\w-]{43}$/);
    expect(a).not.toBe(b);
    // The same response in another file has the same key (rule 6).
    expect(count([sessionMeta(T(0), ID), usageRecord(T(1), ID, long('a'), u(10, 0, 1, 0))]).responses[0]!.responseKey).toBe(a);
  });
});

describe('UsageCounter: models (rule 4)', () => {
  it('follows turn_context and thread_settings_applied; "unknown" before any', () => {
    const { responses } = count([
      sessionMeta(T(0), ID),
      tokenCount(T(1), u(10, 0, 1, 0), u(10, 0, 1, 0)),
      turnContext(T(2), 'gpt-5'),
      tokenCount(T(3), u(30, 0, 3, 0), u(20, 0, 2, 0)),
      threadSettings(T(4), ID, 'gpt-5.2-codex'),
      tokenCount(T(5), u(60, 0, 6, 0), u(30, 0, 3, 0)),
    ]);
    expect(responses.map((r) => r.model)).toEqual(['unknown', 'gpt-5', 'gpt-5.2-codex']);
  });
});

describe('UsageCounter: forks', () => {
  const parent = v7At('2025-10-01T09:00:00Z', 1);
  const created = '2025-10-01T10:00:00.000Z';
  const fork = v7At(created, 2);

  it('a fork without copied lines: events before its first turn set the baseline; the first own event counts its last usage', () => {
    const { responses } = count([
      sessionMeta(created, fork, { forked_from_id: parent }),
      tokenCount(T(1), u(3669, 300, 126, 21), u(1224, 100, 42, 7)), // the parent's total, re-emitted
      turnContext(T(2), 'gpt-5', v7At('2025-10-01T10:00:02Z', 3)),
      tokenCount(T(3), u(4924, 400, 168, 28), u(1255, 100, 42, 7)),
    ]);
    expect(responses.map(tokens)).toEqual([[1255, 100, 42, 7, 1297]]);
    const alone = count([
      sessionMeta(created, fork, { forked_from_id: parent }),
      turnContext(T(2), 'gpt-5'),
      tokenCount(T(3), u(4924, 400, 168, 28), u(1255, 100, 42, 7)),
    ]).responses;
    expect(alone.map(tokens)).toEqual([[1255, 100, 42, 7, 1297]]);
  });

  it('copied history (after a session_meta of another session) only sets the baseline, until a turn made after the fork', () => {
    const { responses } = count([
      sessionMeta(created, fork, { forked_from_id: parent }),
      sessionMeta('2025-10-01T09:00:00.000Z', parent), // the copied history starts
      turnContext(created, 'gpt-5', v7At('2025-10-01T09:00:01Z', 4)),
      tokenCount(created, u(1000, 0, 100, 0), u(1000, 0, 100, 0)),
      turnContext(created, 'gpt-5', v7At('2025-10-01T09:30:00Z', 5)), // still the parent's turn
      tokenCount(created, u(2500, 500, 250, 0), u(1500, 500, 150, 0)),
      turnContext(T(9), 'gpt-5', v7At('2025-10-01T10:00:09Z', 6)), // the fork's own turn
      tokenCount(T(10), u(4000, 1500, 300, 10), u(1500, 1000, 50, 10)),
    ]);
    expect(responses.map(tokens)).toEqual([[1500, 1000, 50, 10, 1550]]);
    expect(responses[0]).toMatchObject({ threadId: fork, lineNo: 8 });
  });

  it('without time-ordered turn ids a copied history cannot end but by the session own meta', () => {
    const lines = [
      sessionMeta(created, fork, { forked_from_id: parent }),
      sessionMeta(created, parent),
      turnContext(created, 'gpt-5', 'turn-1'),
      tokenCount(created, u(1000, 0, 100, 0), u(1000, 0, 100, 0)),
      turnContext(T(9), 'gpt-5', 'turn-2'),
      tokenCount(T(10), u(1500, 0, 150, 0), u(500, 0, 50, 0)),
    ];
    expect(count(lines).responses).toEqual([]);
    const own = count([...lines, sessionMeta(T(11), fork), tokenCount(T(12), u(1600, 0, 160, 0), u(100, 0, 10, 0))]).responses;
    expect(own.map(tokens)).toEqual([[100, 0, 10, 0, 110]]);
  });
});

describe('UsageCounter: formats and resumption', () => {
  it('accepts record_type-era events and legacy lines', () => {
    const { responses } = count([
      { record_type: 'session_meta', id: ID, timestamp: T(0), cwd: '/x' },
      { record_type: 'state' },
      { type: 'message', role: 'user', content: [] },
      { record_type: 'event', payload: { type: 'token_count', info: { total_token_usage: u(70, 0, 7, 0) } } },
    ]);
    expect(responses.map(tokens)).toEqual([[70, 0, 7, 0, 77]]);
    expect(responses[0]!.at).toBe(T(0));
    const legacy = count([{ id: ID, timestamp: T(0), instructions: '' }, { type: 'message', role: 'user', content: [] }]);
    expect(legacy.responses).toEqual([]);
    expect(legacy.counter.state.sessionId).toBe(ID);
  });

  it('resumes from a stored state at any line as if it had read the file in one pass', () => {
    const lines = [
      sessionMeta(T(0), ID),
      turnContext(T(1), 'gpt-5', 'turn-1'),
      tokenCount(T(2), u(100, 0, 10, 0), u(100, 0, 10, 0)),
      tokenCount(T(3), u(100, 0, 10, 0), u(100, 0, 10, 0)),
      tokenCount(T(4), u(300, 100, 30, 5), u(200, 100, 20, 5)),
      usageRecord(T(5), ID, 'resp_1', u(400, 100, 40, 20)),
      usageRecord(T(6), ID, 'resp_1', u(400, 100, 40, 20)),
      threadSettings(T(7), ID, 'o3'),
      usageRecord(T(8), ID, 'resp_2', u(50, 0, 5, 0)),
    ];
    const whole = count(lines);
    for (let cut = 0; cut <= lines.length; cut++) {
      const first = new UsageCounter();
      const responses: UsageResponse[] = [];
      lines.forEach((line, i) => {
        if (i < cut) {
          const r = first.feed(line as Rec, i + 1);
          if (r) responses.push(r);
        }
      });
      const stored = restoreCounterState(JSON.parse(JSON.stringify(first.state)));
      const second = new UsageCounter(stored!);
      lines.forEach((line, i) => {
        if (i >= cut) {
          const r = second.feed(line as Rec, i + 1);
          if (r) responses.push(r);
        }
      });
      expect(responses, `cut at ${cut}`).toEqual(whole.responses);
      expect(second.state, `cut at ${cut}`).toEqual(whole.counter.state);
    }
    expect(restoreCounterState({ v: 0 })).toBeNull();
  });
});
