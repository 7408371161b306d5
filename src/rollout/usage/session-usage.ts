import { RolloutError, RolloutErrorKind, scanFailed } from '../errors.js';
import { isMissingOrUnsafe } from '../files/fs-safety.js';
import { openRollout, terminatedLines, type ReadEnv } from '../reading/session-reader.js';
import type { JsonRecord, RolloutFile } from '../types.js';
import { isFileLocalKey, UsageCounter, type UsageResponse, type UsageSource } from './counter.js';
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

/** What rule 6 needs beyond the file: which sessions exist, and which shared responses older files carry. */
export interface Ownership {
  sessionExists: (id: string) => Promise<boolean>;
  /** Of these keys (responses of threads no session has), those an older file carries (keysCarriedByOlder). */
  carriedByOlder: (keys: ReadonlySet<string>) => Promise<Set<string>>;
}

/** One pass over the file with the counter: the tallies of the responses `include` keeps. */
async function tallyFile(file: RolloutFile, env: ReadEnv, include: (r: UsageResponse) => boolean) {
  const counter = new UsageCounter();
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
      if (response !== null && include(response)) tallies.add(response);
    }
  } catch (err) {
    throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
  } finally {
    await opened.close();
  }
  return { tallies, state: counter.state };
}

/**
 * The usage of one session, read from its file with the counter (one line at a time), by the
 * rules GET /usage and the list use (SPEC §6). A token_usage_record response of another
 * thread belongs to the session with that id when one exists (not counted here); when none
 * does, to the oldest file that carries it: then the file is read a second time without the
 * responses an older file carries (a fork whose parent file is gone, beside an older fork).
 */
export async function readSessionUsage(file: RolloutFile, env: ReadEnv, prices: PriceBook, rule6: Ownership): Promise<SessionUsage> {
  const first = await tallyFile(file, env, () => true);
  let { tallies } = first;
  const { state } = first;
  const source: UsageSource = state.hasRecords ? 'record' : 'token_count';
  const own = new Set([file.id, state.sessionId]);
  const threads: (string | null)[] = [];
  const orphans = new Set<string>();
  for (const t of tallies.threads(source)) {
    if (t === null || own.has(t)) threads.push(t);
    else if (!(await rule6.sessionExists(t))) {
      threads.push(t);
      orphans.add(t);
    }
  }
  if (orphans.size > 0) {
    const keys = new Set<string>();
    await tallyFile(file, env, (r) => {
      if (r.threadId !== null && orphans.has(r.threadId) && !isFileLocalKey(r.responseKey)) keys.add(r.responseKey);
      return false;
    });
    const elsewhere = await rule6.carriedByOlder(keys);
    if (elsewhere.size > 0) tallies = (await tallyFile(file, env, (r) => !elsewhere.has(r.responseKey))).tallies;
  }
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
