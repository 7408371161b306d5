import { envelopeLines, legacyLines, uuidN, writeSession, type Line, type SessionSpec } from '../helper.js';
import { sessionMeta, threadSettings, tokenCount, turnContext, u, usageRecord, v7At } from '../usage-lines.js';

/**
 * A Codex home with one session per counting rule (README, "Token usage and cost"), and the
 * exact figures each must come to. Every response is at 10:00-11:00 UTC of its session's day,
 * except session N's, which straddle midnight UTC (evening in New York, morning in Tokyo).
 */
export const TREE = {
  A: uuidN(0xa), // re-emitted token_count, info: null, rate limits (gpt-5)
  B: uuidN(0xb), // decreasing totals, fill_to_context_window, no totals (gpt-5-codex)
  C: uuidN(0xc), // token_usage_record beside token_count, a repeated response id, compacted copy (o3, o4-mini)
  P: v7At('2025-10-02T09:00:00Z', 0x10), // a parent with records (gpt-5.1)
  F: v7At('2025-10-02T10:00:00Z', 0x11), // its fork, carrying the parent's records
  Q: v7At('2025-10-03T09:00:00Z', 0x12), // a parent with token_count events only (gpt-5)
  G: v7At('2025-10-03T10:00:00Z', 0x13), // its fork, replaying the parent's token_count events
  M: uuidN(0xd), // a model switch (turn_context, thread_settings_applied) and an unknown model
  R: uuidN(0xe), // archived (gpt-5)
  N: uuidN(0xf), // across midnight UTC (gpt-5)
  L: uuidN(0x10), // legacy format: no usage lines
} as const;

export type TreeSession = keyof typeof TREE;

/** [input, cached, output, reasoning, total, costUSD] of each session, as its own usage route shows it. */
export const EXPECTED: Record<TreeSession, [number, number, number, number, number, number | null]> = {
  A: [1500, 300, 180, 60, 1680, 0.0033375],
  B: [6450, 1000, 635, 0, 7085, 0.0132875],
  C: [1000, 400, 100, 20, 1100, 0.0016465],
  P: [3000, 1000, 300, 50, 3300, 0.005625],
  F: [3500, 3000, 300, 100, 3800, 0.004],
  Q: [2500, 500, 250, 0, 2750, 0.0050625],
  G: [1500, 1000, 50, 10, 1550, 0.00125],
  M: [3500, 1000, 350, 0, 3850, 0.006975],
  R: [10000, 8000, 1000, 500, 11000, 0.0135],
  N: [3000, 0, 300, 0, 3300, 0.00675],
  L: [0, 0, 0, 0, 0, 0],
};

/** [day, total tokens, sessions] per UTC day of the whole tree (session N straddles midnight: 1,100 + 2,200). */
export const DAYS_UTC = [
  ['2025-10-01', 1680 + 7085 + 1100, 3],
  ['2025-10-02', 3300 + 3800, 2],
  ['2025-10-03', 2750 + 1550, 2],
  ['2025-10-04', 3850 + 11000, 2],
  ['2025-10-05', 1100, 1],
  ['2025-10-06', 2200, 1],
];

export const STAMPS: Record<TreeSession, string> = {
  A: '2025-10-01T10-00-00',
  B: '2025-10-01T10-10-00',
  C: '2025-10-01T10-20-00',
  P: '2025-10-02T09-00-00',
  F: '2025-10-02T10-00-00',
  Q: '2025-10-03T09-00-00',
  G: '2025-10-03T10-00-00',
  M: '2025-10-04T10-00-00',
  R: '2025-10-04T10-10-00',
  N: '2025-10-05T23-00-00',
  L: '2025-10-06T10-00-00',
};

export const RATE_LIMITS = { primary: { used_percent: 12.5, window_minutes: 300 }, secondary: null };

const at = (s: TreeSession, minute: number) => `${STAMPS[s].slice(0, 10)}T10:${String(minute).padStart(2, '0')}:00.000Z`;

const FILL = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 258400 };

const P_TURN = v7At('2025-10-02T09:00:01Z', 0x20);
const Q_TURN = v7At('2025-10-03T09:00:01Z', 0x21);

function usageLines(s: TreeSession): Line[] {
  const id = TREE[s];
  switch (s) {
    case 'A':
      return [
        turnContext(at(s, 1), 'gpt-5', 'turn-a1'),
        tokenCount(at(s, 2), u(1000, 200, 100, 50), u(1000, 200, 100, 50)),
        tokenCount(at(s, 3), u(1000, 200, 100, 50), u(1000, 200, 100, 50)),
        tokenCount(at(s, 4), null, null, { rateLimits: RATE_LIMITS }),
        turnContext(at(s, 5), 'gpt-5', 'turn-a2'),
        tokenCount(at(s, 6), u(1500, 300, 180, 60), u(500, 100, 80, 10)),
      ];
    case 'B':
      return [
        turnContext(at(s, 1), 'gpt-5-codex'),
        tokenCount(at(s, 2), u(5000, 0, 500, 0), null),
        tokenCount(at(s, 3), u(6000, 1000, 600, 0), null),
        tokenCount(at(s, 4), FILL, { ...FILL, total_tokens: 251800 }),
        tokenCount(at(s, 5), u(300, 0, 20, 0), u(300, 0, 20, 0)),
        tokenCount(at(s, 6), u(100, 0, 10, 0), null),
        tokenCount(at(s, 7), null, u(50, 0, 5, 0)),
      ];
    case 'C':
      return [
        turnContext(at(s, 1), 'o3', 'turn-c1'),
        tokenCount(at(s, 2), u(100, 0, 10, 0), u(100, 0, 10, 0)),
        usageRecord(at(s, 3), id, 'resp_1', u(400, 100, 40, 20)),
        tokenCount(at(s, 4), u(500, 100, 50, 20), u(400, 100, 40, 20)),
        usageRecord(at(s, 5), id, 'resp_1', u(400, 100, 40, 20)),
        { timestamp: at(s, 6), type: 'compacted', payload: { message: '', latest_token_usage_record: recordPayload(id, 'resp_2') } },
        turnContext(at(s, 7), 'o3', 'turn-c2'),
        usageRecord(at(s, 8), id, 'resp_2', u(600, 300, 60, 0), { model: 'o4-mini-2025-04-16' }),
      ];
    case 'P':
      return parentRecords(at(s, 1), at(s, 2), at(s, 3));
    case 'F':
      return [
        sessionMeta('2025-10-02T09:00:00.000Z', TREE.P), // the copied history starts
        ...parentRecords('2025-10-02T10:00:00.000Z', '2025-10-02T10:00:00.000Z', '2025-10-02T10:00:00.000Z'),
        turnContext(at(s, 5), 'gpt-5.1', v7At('2025-10-02T10:00:05Z', 0x22)),
        usageRecord(at(s, 6), id, 'resp_f1', u(3500, 3000, 300, 100)),
        tokenCount(at(s, 6), u(6500, 4000, 600, 150), u(3500, 3000, 300, 100)),
      ];
    case 'Q':
      return parentTokenCounts(at(s, 1), at(s, 2), at(s, 3));
    case 'G':
      return [
        sessionMeta('2025-10-03T09:00:00.000Z', TREE.Q),
        ...parentTokenCounts('2025-10-03T10:00:00.000Z', '2025-10-03T10:00:00.000Z', '2025-10-03T10:00:00.000Z'),
        turnContext(at(s, 9), 'gpt-5', v7At('2025-10-03T10:00:09Z', 0x23)),
        tokenCount(at(s, 10), u(4000, 1500, 300, 10), u(1500, 1000, 50, 10)),
      ];
    case 'M':
      return [
        turnContext(at(s, 1), 'gpt-5', 'turn-m1'),
        tokenCount(at(s, 2), u(1000, 0, 100, 0), u(1000, 0, 100, 0)),
        threadSettings(at(s, 3), id, 'gpt-5.2-codex'),
        tokenCount(at(s, 4), u(3000, 1000, 300, 0), u(2000, 1000, 200, 0)),
        turnContext(at(s, 5), 'my-local-model', 'turn-m2'),
        tokenCount(at(s, 6), u(3500, 1000, 350, 0), u(500, 0, 50, 0)),
      ];
    case 'R':
      return [turnContext(at(s, 1), 'gpt-5'), tokenCount(at(s, 2), u(10000, 8000, 1000, 500), u(10000, 8000, 1000, 500))];
    case 'N':
      return [
        turnContext('2025-10-05T23:00:00.000Z', 'gpt-5', 'turn-n1'),
        tokenCount('2025-10-05T23:30:00.000Z', u(1000, 0, 100, 0), u(1000, 0, 100, 0)),
        tokenCount('2025-10-06T00:30:00.000Z', u(3000, 0, 300, 0), u(2000, 0, 200, 0)),
      ];
    case 'L':
      return [];
  }
}

/** What a `compacted` line embeds: a copy of a token_usage_record's payload. */
const recordPayload = (id: string, responseId: string) =>
  (usageRecord('', id, responseId, u(9000, 0, 9, 0)) as { payload: unknown }).payload;

function parentRecords(t1: string, t2: string, t3: string): Line[] {
  return [
    turnContext(t1, 'gpt-5.1', P_TURN),
    usageRecord(t2, TREE.P, 'resp_p1', u(1000, 0, 100, 0)),
    tokenCount(t2, u(1000, 0, 100, 0), u(1000, 0, 100, 0)),
    usageRecord(t3, TREE.P, 'resp_p2', u(2000, 1000, 200, 50)),
    tokenCount(t3, u(3000, 1000, 300, 50), u(2000, 1000, 200, 50)),
  ];
}

function parentTokenCounts(t1: string, t2: string, t3: string): Line[] {
  return [
    turnContext(t1, 'gpt-5', Q_TURN),
    tokenCount(t2, u(1000, 0, 100, 0), u(1000, 0, 100, 0)),
    tokenCount(t3, u(2500, 500, 250, 0), u(1500, 500, 150, 0)),
  ];
}

export function specOf(s: TreeSession): SessionSpec {
  const forkedFrom = s === 'F' ? TREE.P : s === 'G' ? TREE.Q : null;
  return {
    stamp: STAMPS[s],
    id: TREE[s],
    title: `session ${s}`,
    cwd: `/home/u/${s === 'M' || s === 'N' ? 'other' : 'proj'}`,
    // Two sessions that GET /usage can single out by source and by provider.
    ...(s === 'B' ? { source: 'exec' } : {}),
    ...(s === 'C' ? { provider: 'azure' } : {}),
    archived: s === 'R',
    ...(forkedFrom ? { meta: { forked_from_id: forkedFrom } } : {}),
  };
}

/** Writes the tree into `home`; returns each session's path relative to the home. */
export async function writeUsageTree(home: string, only: TreeSession[] = Object.keys(TREE) as TreeSession[]) {
  const paths = {} as Record<TreeSession, string>;
  for (const s of only) {
    const spec = specOf(s);
    paths[s] = await writeSession(home, spec, s === 'L' ? legacyLines(spec) : envelopeLines({ ...spec, extra: usageLines(s) }));
  }
  return paths;
}
