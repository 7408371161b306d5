// Token usage and cost per transcript turn. The server counts (GET /conversations/:id/usage,
// docs/usage.md: re-emitted events, usage records, forks, prices), so every client gets the same
// numbers; the transcript only has to say which of its turns each of the server's turns is.
// No DOM: unit-tested in Node.
import type { TokenCounts, TurnUsage } from '../api/types.js';

/** A line of the file that can carry a counted response (a usage record, a token_count with info). */
export interface UsageMark {
  /** Its time as the server's counter reads it: the line's timestamp, or the last one before it. */
  at: string | null;
  /** The key of the transcript turn the line falls in; null before the first turn. */
  turnKey: number | null;
}

export interface TurnTotals extends TokenCounts {
  /** The sum over the models that have a price; null when none of them has one. */
  costUSD: number | null;
  models: string[];
  /** Models of this turn without a price: not in costUSD. */
  unpriced: string[];
}

const COUNTS = ['inputTokens', 'cachedInputTokens', 'outputTokens', 'reasoningOutputTokens', 'totalTokens'] as const;

function add(into: TurnTotals, t: TurnUsage): void {
  for (const f of COUNTS) into[f] += t[f];
  if (!into.models.includes(t.model)) into.models.push(t.model);
  if (t.costUSD === null) {
    if (!into.unpriced.includes(t.model)) into.unpriced.push(t.model);
  } else into.costUSD = (into.costUSD ?? 0) + t.costUSD;
}

const empty = (): TurnTotals => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens: 0,
  costUSD: null,
  models: [],
  unpriced: [],
});

/**
 * The server's turns, summed per transcript turn (by entry key). A turn with a Codex turn id
 * goes to the transcript turn with that id. Older files have none: each of their responses is
 * a turn of its own, and goes where its usage line is, found by time among the usage lines in
 * file order (the server's turns are in file order too). A turn found nowhere is left out here
 * (the session's totals still count it).
 */
export function usageByTurn(turns: readonly TurnUsage[], marks: readonly UsageMark[], turnKey: (turnId: string) => number | undefined) {
  const byKey = new Map<number, TurnTotals>();
  let next = 0;
  for (const t of turns) {
    let key = t.turnId === null ? undefined : turnKey(t.turnId);
    if (key === undefined) {
      let i = next;
      while (i < marks.length && (marks[i] as UsageMark).at !== t.at) i += 1;
      if (i === marks.length) continue;
      next = i + 1;
      key = (marks[i] as UsageMark).turnKey ?? undefined;
      if (key === undefined) continue;
    }
    let totals = byKey.get(key);
    if (totals === undefined) byKey.set(key, (totals = empty()));
    add(totals, t);
  }
  return byKey;
}
