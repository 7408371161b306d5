import { RolloutError, RolloutErrorKind, scanFailed } from '../errors.js';
import { isMissingOrUnsafe } from '../files/fs-safety.js';
import { openRollout, terminatedLines, type ReadEnv } from '../reading/session-reader.js';
import type { JsonRecord, RolloutFile } from '../types.js';
import type { UsageResponse, UsageSource } from '../sources/codex/usage-counter.js';
import { codex } from '../sources/registry.js';
import type { PriceBook } from './pricing.js';
import { ModelTally, type PricedTokens } from './tally.js';

export interface TurnUsage extends PricedTokens {
  turnId: string | null;
  /** The model of the turn's first response. */
  model: string;
  /** The time of the turn's first response. */
  at: string | null;
}

/** `GET /conversations/:id/usage`. */
export interface SessionUsage {
  id: string;
  totals: PricedTokens;
  byModel: Record<string, PricedTokens>;
  turns: TurnUsage[];
  contextWindow: number | null;
  peakInputTokens: number;
  rateLimits: JsonRecord | null;
  unpricedModels: string[];
}

interface TurnTally {
  turnId: string | null;
  model: string;
  at: string | null;
  lineNo: number;
  tally: ModelTally;
}

/**
 * Per-turn tallies of one file's responses, kept apart by source and thread so that rules 1
 * and 6 can be applied at the end without holding the responses: memory grows with turns,
 * not with lines.
 */
class TurnTallies {
  private readonly groups = new Map<string, Map<string, TurnTally>>();

  add(r: UsageResponse): void {
    const group = `${r.source}|${r.threadId ?? ''}`;
    let turns = this.groups.get(group);
    if (turns === undefined) this.groups.set(group, (turns = new Map()));
    const turnKey = r.turnId ?? `#L${r.lineNo}`;
    let turn = turns.get(turnKey);
    if (turn === undefined) {
      turns.set(turnKey, (turn = { turnId: r.turnId, model: r.model, at: r.at, lineNo: r.lineNo, tally: new ModelTally() }));
    }
    turn.tally.add(r.model, r);
  }

  /** The thread ids that have responses of `source`. */
  threads(source: UsageSource): (string | null)[] {
    return [...this.groups.keys()].filter((g) => g.startsWith(`${source}|`)).map((g) => g.slice(source.length + 1) || null);
  }

  turns(source: UsageSource, threads: (string | null)[]): TurnTally[] {
    return threads.flatMap((t) => [...(this.groups.get(`${source}|${t ?? ''}`)?.values() ?? [])]).sort((a, b) => a.lineNo - b.lineNo);
  }
}

/**
 * The usage of one session, read from its file with the counter (one line at a time). Rule 6
 * as far as this file can tell: a token_usage_record response of another thread belongs to the
 * session with that id when `sessionExists` finds one (it counts it); otherwise to this file.
 * Choosing the oldest of several files that carry the same response needs the whole home: that
 * comes with the index.
 */
export async function readSessionUsage(
  file: RolloutFile,
  env: ReadEnv,
  prices: PriceBook,
  sessionExists: (id: string) => Promise<boolean>,
): Promise<SessionUsage> {
  const counter = codex.usageCounter();
  const tallies = new TurnTallies();
  let opened;
  try {
    opened = await openRollout(file, env.realRoot);
  } catch (err) {
    if (isMissingOrUnsafe(err)) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
    throw scanFailed(`cannot open ${file.relPath}`, err);
  }
  try {
    for await (const line of terminatedLines(opened.source, { offset: 0, lineNo: 1 }, opened.stat.size, env)) {
      if (line.record === null) continue;
      const response = counter.feed(line.record, line.lineNo);
      if (response !== null) tallies.add(response);
    }
  } catch (err) {
    throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
  } finally {
    await opened.close();
  }
  const state = counter.state;
  const source: UsageSource = state.hasRecords ? 'record' : 'token_count';
  const own = new Set([file.id, state.sessionId]);
  const threads: (string | null)[] = [];
  for (const t of tallies.threads(source)) if (t === null || own.has(t) || !(await sessionExists(t))) threads.push(t);
  const turns = tallies.turns(source, threads);
  const all = new ModelTally();
  for (const t of turns) all.merge(t.tally);
  return {
    id: file.id,
    totals: all.totals(prices),
    byModel: all.perModel(prices),
    turns: turns.map((t) => ({ turnId: t.turnId, model: t.model, at: t.at, ...t.tally.totals(prices) })),
    contextWindow: state.contextWindow,
    peakInputTokens: state.peakInputTokens[source],
    rateLimits: state.rateLimits,
    unpricedModels: all.unpriced(prices),
  };
}
