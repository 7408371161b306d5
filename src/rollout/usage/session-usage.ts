import { RolloutError, scanFailed } from '../errors.js';
import { openSession } from '../reading/open-session.js';
import { COUNT_ALLOWANCE, terminatedLines, type ReadEnv } from '../reading/session-reader.js';
import type { Lease } from '../reading/byte-budget.js';
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

/**
 * Per-turn tallies of the responses a session counts, in file order: its first MAX_TURNS turns
 * (a turn is its thread and turn id), the usage of the later ones summed into one tally (a turn
 * counted once per run of its responses). Memory is bounded whatever the file holds.
 */
export class TurnTallies {
  private readonly turns = new Map<string, TurnTally>();
  /** Responses of turns past MAX_TURNS: counted, not listed. */
  private readonly omitted = new ModelTally();
  private omittedTurns = 0;
  private lastOmitted: string | null = null;

  /** About what the tallies hold (each listed turn's tally; at most MAX_TURNS of them). */
  get heldBytes(): number {
    return this.turns.size * TURN_BYTES;
  }

  add(r: UsageResponse): void {
    const turnKey = `${r.threadId ?? ''}|${r.turnId ?? `#L${r.lineNo}`}`;
    let turn = this.turns.get(turnKey);
    if (turn === undefined && this.turns.size >= MAX_TURNS) {
      if (this.lastOmitted !== turnKey) this.omittedTurns += 1;
      this.lastOmitted = turnKey;
      this.omitted.add(r.model, r);
      return;
    }
    if (turn === undefined) {
      this.turns.set(turnKey, (turn = { turnId: r.turnId, model: r.model, at: r.at, lineNo: r.lineNo, tally: new ModelTally() }));
    }
    turn.tally.add(r.model, r);
  }

  /** The turns listed (file order), the usage of all of them, and how many turns are not listed. */
  result(): { listed: TurnTally[]; all: ModelTally; omitted: number } {
    const listed = [...this.turns.values()];
    const all = new ModelTally();
    for (const t of listed) all.merge(t.tally);
    all.merge(this.omitted);
    return { listed, all, omitted: this.omittedTurns };
  }

  /** A session's usage answer from its turns, priced; what only the agent's reading knows is `rest`. */
  document(id: string, prices: PriceBook, rest: Pick<SessionUsage, 'contextWindow' | 'peakInputTokens' | 'rateLimits'>): SessionUsage {
    const { listed, all, omitted } = this.result();
    return {
      id,
      totals: all.totals(prices),
      byModel: all.perModel(prices),
      turns: listed.map((t) => ({ turnId: t.turnId, model: t.model, at: t.at, ...t.tally.totals(prices) })),
      turnsOmitted: omitted,
      ...rest,
      unpricedModels: all.unpriced(prices),
    };
  }
}

/** What rule 6 needs beyond the file: which sessions exist, and which shared responses older files carry. */
export interface Ownership {
  sessionExists: (id: string) => Promise<boolean>;
  /** Of these keys (responses of threads no session has), those an older file carries (keysCarriedByOlder). */
  carriedByOlder: (keys: ReadonlySet<string>) => Promise<Set<string>>;
}

/** Memory of a listed turn in TurnTallies (its map entry and tally, generously). */
const TURN_BYTES = 512;
/** Memory of a thread id in ThreadOwners (a string in a Map or Set). */
const THREAD_BYTES = 128;
/** Memory of a response key held by a second pass (a string in a Set, beside its characters). */
const KEY_BYTES = 64;
/** Bytes of memory the count takes from the request's lease at a time, as what it holds grows. */
export const HELD_STEP = 1024 * 1024;
/** How a count takes memory: it holds `allowance` already; `grow` takes more, waiting (Lease.grow). */
export interface CountMemory {
  allowance: number;
  grow: (bytes: number) => Promise<void>;
}

/** A count's memory from a request's lease taken for kind 'usage' (requestShare): COUNT_ALLOWANCE, then Lease.grow. */
export function leaseMemory(lease: Lease | undefined, signal?: AbortSignal): CountMemory | undefined {
  return lease && { allowance: COUNT_ALLOWANCE, grow: (bytes) => lease.grow(bytes, signal) };
}

/**
 * What a count holds beyond its read's working set, taken from the request's lease as it grows
 * (waiting for room): the counter's digests of the responses seen, the tallies, the threads, the
 * keys of a second pass. Proportional to the distinct responses and threads, not to the file's
 * bytes; a lease never takes more than its pool holds (Lease.grow), so a big file is counted
 * alone rather than refused.
 */
export class HeldMemory {
  private covered: number;

  constructor(private readonly memory?: CountMemory) {
    this.covered = memory?.allowance ?? 0;
  }

  /** Waits until the lease covers `bytes`, taking at least HELD_STEP at a time. */
  async cover(bytes: number): Promise<void> {
    if (this.memory === undefined || bytes <= this.covered) return;
    const more = Math.max(bytes - this.covered, HELD_STEP);
    await this.memory.grow(more);
    this.covered += more;
  }

  needs(bytes: number): boolean {
    return this.memory !== undefined && bytes > this.covered;
  }
}

/**
 * Rule 6 for the threads of one file, asked once per thread as the file is read: a response of
 * the file's own thread counts here; one of another thread counts in that thread's session when
 * it exists, else here (an orphan: its shared responses go to the oldest file that carries them).
 */
class ThreadOwners {
  private readonly here = new Map<string, boolean>();
  readonly orphans = new Set<string>();

  constructor(
    private readonly fileId: string,
    private readonly rule6: Ownership,
  ) {}

  get heldBytes(): number {
    return (this.here.size + this.orphans.size) * THREAD_BYTES;
  }

  /** Whether `r` counts in this file; `sessionId` is the file's own id as its lines have told so far. */
  countsHere(r: UsageResponse, sessionId: () => string | null): boolean | Promise<boolean> {
    const thread = r.threadId;
    if (thread === null || thread === this.fileId) return true;
    return this.here.get(thread) ?? this.classify(thread, sessionId());
  }

  private async classify(thread: string, sessionId: string | null): Promise<boolean> {
    const orphan = thread !== sessionId && !(await this.rule6.sessionExists(thread));
    if (orphan) this.orphans.add(thread);
    this.here.set(thread, orphan || thread === sessionId);
    return orphan || thread === sessionId;
  }
}

type Include = (r: UsageResponse, sessionId: () => string | null) => boolean | Promise<boolean>;

/**
 * One pass over the file with the counter: the tallies (one per source) of the responses
 * `include` keeps. What the pass holds, and `outside()` bytes held beside it, are covered by
 * `held` as they grow.
 */
async function tallyFile(file: RolloutFile, env: ReadEnv, include: Include, held: HeldMemory, outside: () => number) {
  const counter = codex.usageCounter();
  const sessionId = () => counter.checkpoint.sessionId;
  const tallies: Record<UsageSource, TurnTallies> = { record: new TurnTallies(), token_count: new TurnTallies() };
  const opened = await openSession(file, env);
  // A count reads numbers and ids: a long line's long strings (its texts) are cut, its ids kept whole (DataUrlCutter).
  const cut = { ...env, cutLongStrings: true };
  try {
    for await (const line of terminatedLines(opened.source, { offset: 0, lineNo: 1 }, opened.stat.size, cut)) {
      if (line.record === null) continue;
      const response = counter.feed(line.record, line.lineNo);
      line.record = null; // as readClaudeResponses does: a long line's record is let go at once
      if (response !== null) {
        const keep = include(response, sessionId);
        if (keep === true || (keep !== false && (await keep))) tallies[response.source].add(response);
      }
      const bytes = counter.heldBytes + tallies.record.heldBytes + tallies.token_count.heldBytes + outside();
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
 * does, to the oldest file that carries it: then the file is read a second time for the keys
 * of those responses, and a third time without the ones an older file carries (a fork whose
 * parent file is gone, beside an older fork). With `memory`, what the count holds is taken from
 * the request's lease as it grows (HeldMemory).
 */
export async function readSessionUsage(
  file: RolloutFile,
  env: ReadEnv,
  prices: PriceBook,
  rule6: Ownership,
  memory?: CountMemory,
): Promise<SessionUsage> {
  const held = new HeldMemory(memory);
  const owners = new ThreadOwners(file.id, rule6);
  const countsHere: Include = (r, sessionId) => owners.countsHere(r, sessionId);
  const first = await tallyFile(file, env, countsHere, held, () => owners.heldBytes);
  let { tallies } = first;
  const { state } = first;
  const source: UsageSource = state.hasRecords ? 'record' : 'token_count';
  const { orphans } = owners;
  if (orphans.size > 0) {
    const keys = new Set<string>();
    let keyBytes = 0;
    const kept = () => owners.heldBytes + first.tallies[source].heldBytes;
    const collect = (r: UsageResponse) => {
      if (r.threadId !== null && orphans.has(r.threadId) && !isFileLocalKey(r.responseKey) && !keys.has(r.responseKey)) {
        keys.add(r.responseKey);
        keyBytes += KEY_BYTES + 2 * r.responseKey.length;
      }
      return false;
    };
    await tallyFile(file, env, collect, held, () => kept() + keyBytes);
    const elsewhere = await rule6.carriedByOlder(keys);
    if (elsewhere.size > 0) {
      // `elsewhere` holds copies of some keys: counted as many again. Every thread is known by now: no more lookups.
      const notElsewhere: Include = (r, sessionId) => !elsewhere.has(r.responseKey) && countsHere(r, sessionId);
      tallies = (await tallyFile(file, env, notElsewhere, held, () => kept() + 2 * keyBytes)).tallies;
    }
  }
  return tallies[source].document(file.id, prices, {
    contextWindow: state.contextWindow,
    peakInputTokens: state.peakInputTokens[source],
    rateLimits: state.rateLimits,
  });
}
