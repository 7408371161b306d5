import { RolloutError, scanFailed } from '../errors.js';
import { openSession } from '../reading/open-session.js';
import { terminatedLines, type ReadEnv } from '../reading/session-reader.js';
import type { JsonRecord, RolloutFile } from '../types.js';
import { isFileLocalKey, type UsageResponse, type UsageSource } from '../sources/common/usage-response.js';
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
  /** The first MAX_TURNS turns. */
  turns: TurnUsage[];
  /** Turns not listed (their usage is in totals and byModel). */
  turnsOmitted: number;
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
 * Turns an answer lists at most; the others are counted in `turnsOmitted` (their usage is in
 * `totals` and `byModel`). A file of 300,000 responses outside any turn is 300,000 turns.
 */
export const MAX_TURNS = 1000;

interface TurnGroup {
  turns: Map<string, TurnTally>;
  /** Responses of turns past MAX_TURNS: counted, not listed. */
  omitted: ModelTally;
  omittedTurns: number;
  lastOmitted: string | null;
}

/**
 * Per-turn tallies of one file's responses, kept apart by source and thread so that rules 1
 * and 6 can be applied at the end without holding the responses. Each group keeps its first
 * MAX_TURNS turns; later ones are summed into one tally (a turn counted once per run of its
 * responses): memory is bounded whatever the file holds.
 */
class TurnTallies {
  private readonly groups = new Map<string, TurnGroup>();
  private listedTurns = 0;

  /** About what the tallies hold: a thread's group, a listed turn's tally (a file may have many threads). */
  get heldBytes(): number {
    return this.groups.size * GROUP_BYTES + this.listedTurns * TURN_BYTES;
  }

  add(r: UsageResponse): void {
    const key = `${r.source}|${r.threadId ?? ''}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { turns: new Map(), omitted: new ModelTally(), omittedTurns: 0, lastOmitted: null };
      this.groups.set(key, group);
    }
    const turnKey = r.turnId ?? `#L${r.lineNo}`;
    let turn = group.turns.get(turnKey);
    if (turn === undefined && group.turns.size >= MAX_TURNS) {
      if (group.lastOmitted !== turnKey) group.omittedTurns += 1;
      group.lastOmitted = turnKey;
      group.omitted.add(r.model, r);
      return;
    }
    if (turn === undefined) {
      group.turns.set(turnKey, (turn = { turnId: r.turnId, model: r.model, at: r.at, lineNo: r.lineNo, tally: new ModelTally() }));
      this.listedTurns += 1;
    }
    turn.tally.add(r.model, r);
  }

  /** The thread ids that have responses of `source`. */
  threads(source: UsageSource): (string | null)[] {
    return [...this.groups.keys()].filter((g) => g.startsWith(`${source}|`)).map((g) => g.slice(source.length + 1) || null);
  }

  /** The first MAX_TURNS turns of these threads in file order, the usage of all of them, and how many turns are not listed. */
  turns(source: UsageSource, threads: (string | null)[]): { listed: TurnTally[]; all: ModelTally; omitted: number } {
    const groups = threads.flatMap((t) => this.groups.get(`${source}|${t ?? ''}`) ?? []);
    const kept = groups.flatMap((g) => [...g.turns.values()]).sort((a, b) => a.lineNo - b.lineNo);
    const all = new ModelTally();
    for (const t of kept) all.merge(t.tally);
    for (const g of groups) all.merge(g.omitted);
    const listed = kept.slice(0, MAX_TURNS);
    return { listed, all, omitted: kept.length - listed.length + groups.reduce((n, g) => n + g.omittedTurns, 0) };
  }
}

/** What rule 6 needs beyond the file: which sessions exist, and which shared responses older files carry. */
export interface Ownership {
  sessionExists: (id: string) => Promise<boolean>;
  /** Of these keys (responses of threads no session has), those an older file carries (keysCarriedByOlder). */
  carriedByOlder: (keys: ReadonlySet<string>) => Promise<Set<string>>;
}

/** Memory of a thread's group and of a listed turn in TurnTallies (their maps and tallies, generously). */
const GROUP_BYTES = 1024;
const TURN_BYTES = 512;
/** Memory of a response key held by a second pass (a string in a Set, beside its characters). */
const KEY_BYTES = 64;
/** Bytes of memory the count takes from the request's lease at a time, as what it holds grows. */
export const HELD_STEP = 1024 * 1024;

/**
 * What a count holds beyond its read's working set, taken from the request's lease as it grows
 * (waiting for room): the counter's digests of the responses seen, the tallies, the keys of a
 * second pass. Proportional to the distinct responses, not to the file's bytes; a lease never
 * takes more than its pool holds (Lease.take), so a big file is counted alone rather than refused.
 */
class HeldMemory {
  private covered = 0;

  constructor(private readonly reserve?: (bytes: number) => Promise<void>) {}

  /** Waits until the lease covers `bytes`, taking at least HELD_STEP at a time. */
  async cover(bytes: number): Promise<void> {
    if (this.reserve === undefined || bytes <= this.covered) return;
    const more = Math.max(bytes - this.covered, HELD_STEP);
    await this.reserve(more);
    this.covered += more;
  }

  needs(bytes: number): boolean {
    return this.reserve !== undefined && bytes > this.covered;
  }
}

/**
 * One pass over the file with the counter: the tallies of the responses `include` keeps. What
 * the pass holds, and `outside()` bytes held beside it, are covered by `held` as they grow.
 */
async function tallyFile(
  file: RolloutFile,
  env: ReadEnv,
  include: (r: UsageResponse) => boolean,
  held: HeldMemory,
  outside: () => number = () => 0,
) {
  const counter = codex.usageCounter();
  const tallies = new TurnTallies();
  const opened = await openSession(file, env);
  try {
    for await (const line of terminatedLines(opened.source, { offset: 0, lineNo: 1 }, opened.stat.size, env)) {
      if (line.record === null) continue;
      const response = counter.feed(line.record, line.lineNo);
      if (response !== null && include(response)) tallies.add(response);
      const bytes = counter.heldBytes + tallies.heldBytes + outside();
      if (held.needs(bytes)) await held.cover(bytes);
    }
  } catch (err) {
    throw err instanceof RolloutError ? err : scanFailed(`cannot read ${file.relPath}`, err);
  } finally {
    await opened.close();
  }
  return { tallies, state: counter.checkpoint };
}

/**
 * The usage of one session, read from its file with the counter (one line at a time), by the
 * rules GET /usage and the list use (docs/usage.md). A token_usage_record response of another
 * thread belongs to the session with that id when one exists (not counted here); when none
 * does, to the oldest file that carries it: then the file is read a second time without the
 * responses an older file carries (a fork whose parent file is gone, beside an older fork).
 * `reserve` takes memory (waiting for room) as what the count holds grows (HeldMemory).
 */
export async function readSessionUsage(
  file: RolloutFile,
  env: ReadEnv,
  prices: PriceBook,
  rule6: Ownership,
  reserve?: (bytes: number) => Promise<void>,
): Promise<SessionUsage> {
  const held = new HeldMemory(reserve);
  const first = await tallyFile(file, env, () => true, held);
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
    let keyBytes = 0;
    const kept = first.tallies;
    const collect = (r: UsageResponse) => {
      if (r.threadId !== null && orphans.has(r.threadId) && !isFileLocalKey(r.responseKey) && !keys.has(r.responseKey)) {
        keys.add(r.responseKey);
        keyBytes += KEY_BYTES + 2 * r.responseKey.length;
      }
      return false;
    };
    await tallyFile(file, env, collect, held, () => kept.heldBytes + keyBytes);
    const elsewhere = await rule6.carriedByOlder(keys);
    if (elsewhere.size > 0) {
      // `elsewhere` holds copies of some keys: counted as many again.
      const outside = () => kept.heldBytes + 2 * keyBytes;
      tallies = (await tallyFile(file, env, (r) => !elsewhere.has(r.responseKey), held, outside)).tallies;
    }
  }
  const { listed, all, omitted } = tallies.turns(source, threads);
  return {
    id: file.id,
    totals: all.totals(prices),
    byModel: all.perModel(prices),
    turns: listed.map((t) => ({ turnId: t.turnId, model: t.model, at: t.at, ...t.tally.totals(prices) })),
    turnsOmitted: omitted,
    contextWindow: state.contextWindow,
    peakInputTokens: state.peakInputTokens[source],
    rateLimits: state.rateLimits,
    unpricedModels: all.unpriced(prices),
  };
}
