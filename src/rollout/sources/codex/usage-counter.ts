import { createHash } from 'node:crypto';
import { UUID } from './filename.js';
import { uuidV7Millis } from './lookup.js';
import { isObject, normalizeRecord, stringOrNull, type NormalizedRecord } from './formats.js';
import type { JsonRecord } from '../../types.js';
import { canonicalTime } from '../canonical-time.js';
import { anyDecrease, clampParts, difference, isZero, readTokens, type TokenCounts } from './tokens.js';
import { boundedKey, UNKNOWN_MODEL, type UsageResponse, type UsageSource } from '../common/usage-response.js';
import { DIGEST_BYTES, DigestSet } from '../common/digest-set.js';

export { UNKNOWN_MODEL, isFileLocalKey, type UsageResponse, type UsageSource } from '../common/usage-response.js';

/**
 * Everything the counter remembers between lines: JSON-serialisable, so that counting resumes
 * after an append without reading the file again. A few numbers and strings, plus `seen`: one
 * 16-character digest per token_usage_record response (the within-file duplicate check). The
 * index stores its checkpoints without `seen` (UsageCounter.checkpoint) and gives it back from
 * the keys it holds (withSeenKeys): stored with every checkpoint, it made indexing a file of
 * 300,000 records quadratic.
 */
export interface CounterState {
  v: 1;
  /** The file's own session id (its first session_meta), lower case. */
  sessionId: string | null;
  /** When the file was created (ms): its UUIDv7 id's time, else its first session_meta's timestamp. */
  createdMs: number | null;
  /** The first session_meta names `forked_from_id`. */
  forked: boolean;
  /** The file holds another session's copied history (a later session_meta with a different id). */
  copied: boolean;
  /** token_count events are inherited history, not this file's own usage: they only set the baseline total. */
  inherited: boolean;
  previousTotal: TokenCounts | null;
  model: string | null;
  turnId: string | null;
  lastTimestamp: string | null;
  /** Rule 1: once true, this file's token_count responses (earlier ones included) do not count. */
  hasRecords: boolean;
  seen: string[];
  contextWindow: number | null;
  peakInputTokens: Record<UsageSource, number>;
  /** The last `rate_limits` object of a token_count event, as written. */
  rateLimits: JsonRecord | null;
}

export function initialCounterState(): CounterState {
  return {
    v: 1,
    sessionId: null,
    createdMs: null,
    forked: false,
    copied: false,
    inherited: false,
    previousTotal: null,
    model: null,
    turnId: null,
    lastTimestamp: null,
    hasRecords: false,
    seen: [],
    contextWindow: null,
    peakInputTokens: { record: 0, token_count: 0 },
    rateLimits: null,
  };
}

/** A stored state, or null when it is not one this version wrote (then count the file from its start). */
export function restoreCounterState(value: unknown): CounterState | null {
  return isObject(value) && value.v === 1 ? (structuredClone(value) as unknown as CounterState) : null;
}

/** A response key's digest: the first DIGEST_BYTES of its SHA-256 (in the state, their 16 base64url characters). */
const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest().subarray(0, DIGEST_BYTES);
const digest = (key: string): string => digestOf(key).toString('base64url');

/** `state` with the responses of these keys (`<thread_id>/<response_id>`, as UsageResponse.responseKey) seen. */
export function withSeenKeys(state: CounterState, keys: readonly string[]): CounterState {
  return keys.length === 0 ? state : { ...state, seen: [...state.seen, ...keys.map(digest)] };
}

const lowerId = (value: unknown): string | null => {
  const s = stringOrNull(value);
  return s !== null && UUID.test(s) ? s.toLowerCase() : s;
};

/**
 * A rate-limit snapshot is kept (in the counter's state, stored by the index, and in the
 * per-session answer) only up to this much JSON: real ones are a few hundred bytes, and a
 * 12 MB one held by each of 20 requests took a gigabyte.
 */
export const MAX_RATE_LIMITS_JSON = 16 * 1024;

/** Whether `value`'s JSON is at most about `limit` characters, without writing it (stops as soon as it is more). */
export function jsonAtMost(value: unknown, limit: number): boolean {
  let left = limit;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') left -= v.length + 2;
    else if (Array.isArray(v)) {
      left -= v.length + 2; // each element takes a character at least: a long array fails here, before it is walked
      if (left >= 0) for (const x of v) stack.push(x);
    } else if (isObject(v)) {
      for (const k in v) {
        left -= k.length + 4;
        if (left < 0) return false;
        stack.push(v[k]);
      }
    } else left -= 8;
    if (left < 0) return false;
  }
  return true;
}

const positive = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null);

/**
 * The counting rules 1-5 of docs/usage.md as a state machine over one file's records in file order:
 * feed each record with its line number, get back the response it completes (or null). The
 * state (`state`) can be stored and handed to a new counter to go on after an append.
 *
 * Rule 1's switch is retroactive: once a file has a token_usage_record line, `hasRecords` is
 * set and none of its token_count responses count, also those returned before. Consumers keep
 * the source of each response and drop the file's token_count ones when the state says so
 * (`countsTokenCount`); from then on the counter returns no more of them.
 *
 * Forks (see docs/usage.md, "Counting rules"): token_count events of inherited history only set the
 * baseline total. A file is inherited history from its start when it is a fork, and after a
 * session_meta of another session (copied history), until its own first turn: a turn_context
 * or task_started whose turn id is a UUIDv7 made at or after the file's creation, or, in a fork
 * with no copied lines, any turn. A fork's first own event with no baseline counts its
 * last_token_usage: its total includes the parent's usage.
 */
export class UsageCounter {
  private readonly s: CounterState;
  private readonly seen = new DigestSet();

  constructor(state: CounterState = initialCounterState()) {
    this.s = structuredClone({ ...state, seen: [] });
    for (const d of state.seen) {
      const bytes = Buffer.from(d, 'base64url');
      if (bytes.length === DIGEST_BYTES) this.seen.add(bytes); // a stored state is data: anything else is not a digest
    }
  }

  /** A snapshot of the state, safe to store as JSON. */
  get state(): CounterState {
    return { ...this.checkpoint, seen: Array.from(this.seen.digests(), (d) => d.toString('base64url')) };
  }

  /**
   * The state without `seen`: its size does not grow with the file. Counting goes on from it
   * once `seen` is given back (withSeenKeys, with the keys of the responses returned so far).
   */
  get checkpoint(): CounterState {
    return structuredClone({ ...this.s, seen: [] });
  }

  /** What the counter holds that grows with the file: its `seen` digests (the rest is a few fields). */
  get heldBytes(): number {
    return this.seen.heldBytes;
  }

  /** Rule 1: false once the file has a token_usage_record line. */
  get countsTokenCount(): boolean {
    return !this.s.hasRecords;
  }

  feed(record: JsonRecord, lineNo: number, normalized: NormalizedRecord = normalizeRecord(record)): UsageResponse | null {
    const { kind, payload } = normalized;
    const at = typeof record.timestamp === 'string' ? canonicalTime(record.timestamp) : null;
    if (at !== null) this.s.lastTimestamp = at;
    switch (kind) {
      case 'session_meta':
        this.onSessionMeta(payload, record);
        return null;
      case 'turn_context':
        if (typeof payload.model === 'string' && payload.model !== '') this.s.model = payload.model;
        this.onTurnStart(payload.turn_id);
        return null;
      case 'token_usage_record':
        return this.onRecord(payload, lineNo);
      case 'event_msg':
        return this.onEvent(payload, lineNo);
      default:
        // `compacted` lines may embed `latest_token_usage_record`: a copy of a record already
        // written on its own line (Codex reads it back on resume), never a new response.
        return null;
    }
  }

  private onSessionMeta(payload: JsonRecord, record: JsonRecord): void {
    const id = lowerId(payload.id);
    if (id === null) return;
    if (this.s.sessionId === null) {
      this.s.sessionId = id;
      const stamp = stringOrNull(payload.timestamp) ?? stringOrNull(record.timestamp);
      const ms = uuidV7Millis(id) ?? (stamp === null ? Number.NaN : Date.parse(stamp));
      this.s.createdMs = Number.isNaN(ms) ? null : ms;
      this.s.forked = stringOrNull(payload.forked_from_id) !== null;
      this.s.inherited = this.s.forked;
    } else if (id !== this.s.sessionId) {
      this.s.copied = true;
      this.s.inherited = true;
    } else {
      // The file's own meta again after a copied history: what follows is its own.
      this.s.inherited = false;
    }
  }

  private onTurnStart(rawTurnId: unknown): void {
    const turnId = stringOrNull(rawTurnId);
    if (turnId !== null) this.s.turnId = turnId;
    if (this.s.inherited && this.isOwnTurn(turnId)) this.s.inherited = false;
  }

  private isOwnTurn(turnId: string | null): boolean {
    if (!this.s.copied) return true;
    const ms = turnId !== null && UUID.test(turnId) ? uuidV7Millis(turnId.toLowerCase()) : null;
    return ms !== null && this.s.createdMs !== null && ms >= this.s.createdMs;
  }

  private onEvent(payload: JsonRecord, lineNo: number): UsageResponse | null {
    switch (payload.type) {
      case 'token_count':
        return this.onTokenCount(payload, lineNo);
      case 'thread_settings_applied': {
        const model = isObject(payload.thread_settings) ? stringOrNull(payload.thread_settings.model) : null;
        if (model !== null) this.s.model = model;
        return null;
      }
      case 'task_started':
        this.s.contextWindow = positive(payload.model_context_window) ?? this.s.contextWindow;
        this.onTurnStart(payload.turn_id);
        return null;
      default:
        return null;
    }
  }

  private onRecord(payload: JsonRecord, lineNo: number): UsageResponse | null {
    const usage = readTokens(payload.usage);
    if (usage === null) return null;
    this.s.hasRecords = true;
    const threadId = lowerId(payload.thread_id) ?? this.s.sessionId;
    const responseId = stringOrNull(payload.response_id);
    const shared = threadId !== null && responseId !== null;
    const responseKey = shared ? boundedKey(`${threadId}/${responseId}`) : `#L${lineNo}`;
    if (shared && !this.seen.add(digestOf(responseKey))) return null;
    return this.response('record', usage, lineNo, responseKey, threadId, stringOrNull(payload.model), stringOrNull(payload.turn_id));
  }

  private onTokenCount(payload: JsonRecord, lineNo: number): UsageResponse | null {
    const limits = payload.rate_limits;
    if (isObject(limits)) this.s.rateLimits = jsonAtMost(limits, MAX_RATE_LIMITS_JSON) ? limits : null;
    const info = payload.info;
    let total: TokenCounts | null = null;
    let last: TokenCounts | null = null;
    let model: string | null = null;
    if (isObject(info)) {
      this.s.contextWindow = positive(info.model_context_window) ?? this.s.contextWindow;
      total = readTokens(info.total_token_usage);
      last = readTokens(info.last_token_usage);
      model = stringOrNull(info.model) ?? stringOrNull(payload.model);
    } else if (info === undefined && typeof payload.input_tokens === 'number') {
      last = readTokens(payload); // the earliest token_count events: one response's usage, flat
    }
    if (total === null && last === null) return null; // info: null (a rate-limit-only event)
    const delta = this.delta(total, last);
    if (total !== null) this.s.previousTotal = total;
    if (delta === null || isZero(delta) || this.s.inherited || this.s.hasRecords) return null;
    return this.response('token_count', delta, lineNo, `#L${lineNo}`, this.s.sessionId, model, null);
  }

  /** Rule 2: what one token_count event adds, before the baseline moves to its total. */
  private delta(total: TokenCounts | null, last: TokenCounts | null): TokenCounts | null {
    const previous = this.s.previousTotal;
    if (total === null) return last;
    if (previous === null) return this.s.forked || this.s.copied ? (last ?? total) : total;
    if (anyDecrease(previous, total)) return last ?? total;
    return difference(previous, total); // all zero for a re-emitted total: it counts nothing
  }

  private response(
    source: UsageSource,
    counts: TokenCounts,
    lineNo: number,
    responseKey: string,
    threadId: string | null,
    ownModel: string | null,
    ownTurnId: string | null,
  ): UsageResponse {
    const t = clampParts(counts);
    this.s.peakInputTokens[source] = Math.max(this.s.peakInputTokens[source], t.inputTokens);
    return {
      responseKey,
      threadId,
      lineNo,
      at: this.s.lastTimestamp,
      model: ownModel ?? this.s.model ?? UNKNOWN_MODEL,
      ...t,
      totalTokens: t.inputTokens + t.outputTokens,
      turnId: ownTurnId ?? this.s.turnId,
      source,
    };
  }
}
