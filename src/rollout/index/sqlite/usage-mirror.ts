import type Database from 'better-sqlite3';
import { passesSelectors } from '../../usage/grouping.js';
import { WeightedLru } from '../../lru.js';
import { bucketDay, DAY_MS, type OffsetInterval, type TimeGroup } from '../../usage/time-buckets.js';
import type { UsageAggregate, UsageAggregation, UsageBucket } from '../metadata-index.js';
import { NO_TIME, QUARTER_MS } from '../quarter-hours.js';
import { MirrorSessions, type Fact } from './mirror-sessions.js';

/** Rollup rows held at most (60 bytes each, plus ~21 bytes and the id of each session); a larger home is answered by SQL. */
const MIRROR_MAX_ROWS = 500_000;

/** How aggregations were answered, mirror or SQL (a seam: tests check that the first /usage after a pass uses the mirror). */
export const usageAnswers = { mirror: 0, sql: 0 };

type Opt = string | null;
/** fid, id, archived, cwd, source, provider, shadowed (booleans as 0/1 or true/false), and the home (PostgreSQL's several). */
export type SessionRow = [number, string, number | boolean, Opt, Opt, Opt, number | boolean, string?];
/** fid, qh, model, input, cached, output, reasoning, cache writes 5m, 1h (Claude's; absent: 0). */
export type RollupRow = [number, number, string, number, number, number, number, number?, number?];
/** Counts per rollup row: input, cached, output, reasoning, cache writes (5m, 1h; Claude's). */
const WIDTH = 6;
/** Filters whose passing sessions a mirror keeps (a byte per session each). */
const KEPT_SETS = 8;
/** (bucket, model) pairs up to which an aggregation finds its sums by a table (4 bytes each) rather than a map. */
const DENSE_SLOTS = 1 << 20;

/**
 * The usage rollup (sessions × quarter hours × models) copied into typed arrays, with the
 * session facts the filters need: GET /usage then groups ~100,000 rows in a few milliseconds in
 * JavaScript, where SQL takes ~130 ms to join and group them. It answers exactly what the SQL
 * over the rollup answers (see UsageStore.aggregate) for the version of the index it was read
 * at; a changed index is answered by SQL until the mirror is read again.
 */
export class UsageMirror {
  private constructor(
    readonly version: number,
    private readonly qh: Int32Array,
    private readonly model: Uint32Array,
    private readonly session: Int32Array,
    /** input, cached, output, reasoning, cache writes 5m and 1h of row i at WIDTH·i.. */
    private readonly counts: Float64Array,
    private readonly models: string[],
    private readonly sessions: MirrorSessions,
  ) {
    this.keptSets = new WeightedLru({ maxEntries: KEPT_SETS, maxWeight: 4 * KEPT_SETS * (sessions.length + 256) });
    this.rowBuckets = new WeightedLru({ maxEntries: KEPT_SETS, maxWeight: 16 * KEPT_SETS * (qh.length + 256) });
  }

  /** The sessions that pass a filter (kept): a dashboard asks the same few filters again and again. */
  private readonly keptSets: WeightedLru<string, Uint8Array>;
  /** The rows' buckets of a grouping (below). */
  private readonly rowBuckets: WeightedLru<string, RowBuckets>;

  /**
   * What the copy holds, in bytes per rollup row and per session besides each session's id, and
   * the distinct strings of the sessions' facts (tests bound them: the copy stays in memory).
   */
  footprint(): { bytesPerRow: number; bytesPerSession: number; distinctFacts: number } {
    const rows = this.qh.byteLength + this.model.byteLength + this.session.byteLength + this.counts.byteLength;
    return {
      bytesPerRow: rows / Math.max(1, this.qh.length),
      bytesPerSession: this.sessions.columnBytes() / Math.max(1, this.sessions.length),
      distinctFacts: this.sessions.distinctValues(),
    };
  }

  /**
   * The rollup as it is now, or null when it has more than MIRROR_MAX_ROWS rows. Reading it
   * takes ~180 ms on 100,000 sessions (materialising every row), so callers load it when the
   * index is quiet, not on every change.
   */
  static load(db: Database.Database, version: number): UsageMirror | null {
    const n = (db.prepare('SELECT count(*) AS n FROM usage_rollup WHERE n > 0').get() as { n: number }).n;
    if (n > MIRROR_MAX_ROWS) return null;
    const sessionRows = db
      .prepare(
        'SELECT s.fid, s.id, s.archived, s.cwd_norm, s.source, s.model_provider, CASE WHEN s.archived = 1 ' +
          'THEN EXISTS (SELECT 1 FROM sessions a WHERE a.home = s.home AND a.key = s.key AND a.archived = 0) ELSE 0 END ' +
          'FROM sessions s INDEXED BY sessions_usage',
      )
      .raw()
      .iterate() as IterableIterator<SessionRow>;
    const rows = db
      .prepare('SELECT fid, qh, model, input, cached, output, reasoning, cw5m, cw1h FROM usage_rollup WHERE n > 0')
      .raw()
      .iterate() as IterableIterator<RollupRow>;
    return UsageMirror.build(version, n, sessionRows, rows);
  }

  /** A mirror of `rollup` (at most `n` rows) and the facts of its sessions, as read at `version`. */
  static build(version: number, n: number, sessionRows: Iterable<SessionRow>, rows: Iterable<RollupRow>): UsageMirror {
    const sessions = new MirrorSessions();
    const sessionIndex = new Map<number, number>();
    for (const [fid, id, archived, cwd, source, provider, shadowed, home = ''] of sessionRows) {
      const a = archived === 1 || archived === true;
      sessionIndex.set(fid, sessions.add(id, home, a, shadowed === 1 || shadowed === true, cwd, source, provider));
    }
    sessions.done();
    const qh = new Int32Array(n);
    const model = new Uint32Array(n);
    const session = new Int32Array(n);
    const counts = new Float64Array(WIDTH * n);
    const models: string[] = [];
    const modelIndex = new Map<string, number>();
    let i = 0;
    for (const [fid, q, m, input, cached, output, reasoning, cw5m = 0, cw1h = 0] of rows) {
      if (i >= n) break; // more rows than counted (a write between the two reads): the caller's version is stale anyway
      const si = sessionIndex.get(fid);
      if (si === undefined) continue; // no session row (cannot happen: rows go with their file)
      let mi = modelIndex.get(m);
      if (mi === undefined) modelIndex.set(m, (mi = models.push(m) - 1));
      qh[i] = q;
      model[i] = mi;
      session[i] = si;
      const at = WIDTH * i;
      counts[at] = input;
      counts[at + 1] = cached;
      counts[at + 2] = output;
      counts[at + 3] = reasoning;
      counts[at + 4] = cw5m;
      counts[at + 5] = cw1h;
      i += 1;
    }
    // A session's rows one after another (all of one identity's): aggregate counts sessions by that.
    // Reordered in place: a second set of columns was as large again at the moment of the peak.
    const cut = <T extends Int32Array | Uint32Array | Float64Array>(a: T, width = 1) => (i === n ? a : (a.slice(0, width * i) as T));
    const rowsOf = { qh: cut(qh), model: cut(model), session: cut(session), counts: cut(counts, WIDTH) };
    permute(byIdentity(rowsOf.session, sessions), rowsOf);
    return new UsageMirror(version, rowsOf.qh, rowsOf.model, rowsOf.session, rowsOf.counts, models, sessions);
  }

  /**
   * The same answer as the SQL over the rollup: token sums per bucket and model, distinct sessions
   * (of a home) per bucket; only the sessions of `homes` when given, and groupBy `home` by home.
   * One pass over the rows with numbers only: each row's bucket is a small integer (per quarter
   * hour, per model, or per session, computed once), its sums go to a slot per (bucket, model),
   * and a session is counted once per bucket by the last identity each bucket met.
   */
  aggregate(q: MirrorQuery, homes?: ReadonlySet<string>): UsageAggregate {
    const keep = this.kept(q, homes);
    const { ids, labels } = this.buckets(q);
    const nModels = this.models.length;
    const since = q.sinceMs;
    const until = q.untilMs;
    // A slot per (bucket, model) met, found by a table when the pairs are few, by a map otherwise.
    const dense = labels.length * nModels <= DENSE_SLOTS;
    const slotTable = dense ? new Int32Array(labels.length * nModels).fill(-1) : null;
    const slotMap = dense ? null : new Map<number, number>();
    const slotKeys: number[] = [];
    let sums = new Float64Array(WIDTH * 64);
    const sessionsIn = new Int32Array(labels.length);
    const lastIn = new Int32Array(labels.length).fill(-1);
    for (let i = 0; i < this.qh.length; i++) {
      const s = this.session[i]!;
      if (keep[s] === 0) continue;
      if (since !== undefined || until !== undefined) {
        const qh = this.qh[i]!;
        if (qh === NO_TIME) continue;
        const at = qh * QUARTER_MS;
        if ((since !== undefined && at < since) || (until !== undefined && at > until)) continue;
      }
      const b = ids[i]!;
      const key = b * nModels + this.model[i]!;
      let slot = slotTable !== null ? slotTable[key]! : (slotMap!.get(key) ?? -1);
      if (slot === -1) {
        slot = slotKeys.push(key) - 1;
        if (slotTable !== null) slotTable[key] = slot;
        else slotMap!.set(key, slot);
        if (WIDTH * slotKeys.length > sums.length) {
          const grown = new Float64Array(sums.length * 2);
          grown.set(sums);
          sums = grown;
        }
      }
      const to = WIDTH * slot;
      const from = WIDTH * i;
      for (let k = 0; k < WIDTH; k++) sums[to + k]! += this.counts[from + k]!;
      // The rows of one identity are one run (build): a bucket's last identity is the only one it can meet again.
      const identity = this.sessions.identity(s);
      if (lastIn[b] !== identity) {
        lastIn[b] = identity;
        sessionsIn[b]! += 1;
      }
    }
    const tokens = slotKeys.map((key, slot) => {
      const at = WIDTH * slot;
      return {
        bucket: labels[Math.floor(key / nModels)]!,
        model: this.models[key % nModels]!,
        inputTokens: sums[at]!,
        cachedInputTokens: sums[at + 1]!,
        outputTokens: sums[at + 2]!,
        reasoningOutputTokens: sums[at + 3]!,
        cacheWrite5mTokens: sums[at + 4]!,
        cacheWrite1hTokens: sums[at + 5]!,
      };
    });
    const sessions: UsageAggregate['sessions'] = [];
    sessionsIn.forEach((n, b) => n > 0 && sessions.push({ bucket: labels[b]!, n }));
    return { tokens, sessions };
  }

  /** Which sessions pass the roots and filters of `q` (and are of `homes`), 1 or 0 by index; kept for the next asks. */
  private kept(q: MirrorQuery, homes?: ReadonlySet<string>): Uint8Array {
    const key = JSON.stringify([q.archived, q.filter.cwd, q.filter.source, q.filter.provider, homes && [...homes].sort()]);
    let keep = this.keptSets.get(key);
    if (keep === undefined) {
      const sessions = this.sessions;
      keep = new Uint8Array(sessions.length);
      const selective = q.filter.cwd !== undefined || q.filter.source !== undefined || q.filter.provider !== undefined;
      const facts = { cwd: null as Fact, source: null as Fact, provider: null as Fact };
      for (let i = 0; i < sessions.length; i++) {
        const archived = sessions.archived(i);
        const rooted = q.archived === 'all' ? !archived || !sessions.shadowed(i) : archived === (q.archived === 'true');
        let passes = rooted && (homes === undefined || homes.has(sessions.fact('home', i)!));
        if (passes && selective) {
          facts.cwd = sessions.fact('cwd', i);
          facts.source = sessions.fact('source', i);
          facts.provider = sessions.fact('provider', i);
          passes = passesSelectors(facts, q.filter);
        }
        keep[i] = passes ? 1 : 0;
      }
      this.keptSets.set(key, keep, keep.length + key.length);
    }
    return keep;
  }

  /**
   * Each row's bucket number for `q`'s grouping, and each number's bucket, as the SQL over the
   * rollup computes them (integer division truncates, as SQLite's does). Kept for the next asks:
   * they depend only on the grouping (and the zone's offsets).
   */
  private buckets(q: MirrorQuery): RowBuckets {
    const group = q.groupBy;
    if (group === 'model') return { ids: this.model, labels: this.models };
    const key = isTimeGroup(group) ? JSON.stringify([group, q.offsets]) : group;
    let found = this.rowBuckets.get(key);
    if (found === undefined) {
      found = isTimeGroup(group) ? this.timeBuckets(group, q.offsets) : this.factBuckets(group);
      this.rowBuckets.set(key, found, 4 * found.ids.length + key.length);
    }
    return found;
  }

  /** By a fact of the row's session. */
  private factBuckets(group: 'home' | 'cwd' | 'source' | 'provider' | 'session'): RowBuckets {
    const sessions = this.sessions;
    if (group !== 'session') {
      // The columns number each value in order of first appearance, as the labels of a grouping are.
      return { ids: this.session.map((s) => sessions.code(group, s)), labels: sessions.labels(group) };
    }
    const labels: UsageBucket[] = [];
    const numbers = new Map<string, number>();
    const ofSession = new Int32Array(sessions.length);
    for (let i = 0; i < sessions.length; i++) {
      const id = sessions.id(i);
      let n = numbers.get(id);
      if (n === undefined) numbers.set(id, (n = labels.push(id) - 1));
      ofSession[i] = n;
    }
    return { ids: this.session.map((s) => ofSession[s]!), labels };
  }

  /** By the day, week or month of the row's quarter hour in the zone's offsets. */
  private timeBuckets(group: TimeGroup, offsets: readonly OffsetInterval[]): RowBuckets {
    const labels: UsageBucket[] = [];
    // bucketDay of a month goes through luxon: once per day number, and a bucket number once per quarter hour.
    const byLabel = new Map<UsageBucket, number>();
    const byDay = new Map<number, number>();
    const byQuarter = new Map<number, number>();
    const number = (bucket: UsageBucket): number => {
      let n = byLabel.get(bucket);
      if (n === undefined) byLabel.set(bucket, (n = labels.push(bucket) - 1));
      return n;
    };
    const ids = this.qh.map((qh) => {
      let b = byQuarter.get(qh);
      if (b !== undefined) return b;
      const at = qh * QUARTER_MS;
      const o = qh === NO_TIME ? undefined : offsets.find((x) => at < Math.trunc(x.endMs));
      if (o === undefined) b = number(null);
      else {
        const day = Math.trunc((at + Math.trunc(o.offsetMs)) / DAY_MS);
        b = byDay.get(day);
        if (b === undefined) byDay.set(day, (b = number(bucketDay(day, group))));
      }
      byQuarter.set(qh, b);
      return b;
    });
    return { ids, labels };
  }
}

/** The rows' order (old index by new position) that puts each identity's rows together, in their order. */
function byIdentity(session: Int32Array, sessions: MirrorSessions): Int32Array {
  const starts = new Int32Array(sessions.identityCount + 1);
  for (const s of session) starts[sessions.identity(s) + 1]! += 1;
  for (let k = 1; k < starts.length; k++) starts[k]! += starts[k - 1]!;
  const order = new Int32Array(session.length);
  session.forEach((s, i) => (order[starts[sessions.identity(s)]!++] = i));
  return order;
}

/** Puts row order[to] at `to` in every column, in place (following each cycle of the permutation; `order` is used up). */
function permute(order: Int32Array, rows: { qh: Int32Array; model: Uint32Array; session: Int32Array; counts: Float64Array }): void {
  const { qh, model, session, counts } = rows;
  const held = new Float64Array(WIDTH);
  for (let start = 0; start < order.length; start++) {
    if (order[start] === -1 || order[start] === start) continue;
    const q = qh[start]!;
    const m = model[start]!;
    const s = session[start]!;
    held.set(counts.subarray(WIDTH * start, WIDTH * start + WIDTH));
    let to = start;
    for (;;) {
      const from = order[to]!;
      order[to] = -1;
      if (from === start) {
        qh[to] = q;
        model[to] = m;
        session[to] = s;
        counts.set(held, WIDTH * to);
        break;
      }
      qh[to] = qh[from]!;
      model[to] = model[from]!;
      session[to] = session[from]!;
      counts.copyWithin(WIDTH * to, WIDTH * from, WIDTH * from + WIDTH);
      to = from;
    }
  }
}

interface RowBuckets {
  /** The bucket number of each row. */
  ids: Int32Array | Uint32Array;
  labels: readonly UsageBucket[];
}

const isTimeGroup = (group: MirrorQuery['groupBy']): group is TimeGroup => group === 'day' || group === 'week' || group === 'month';

/** A usage aggregation, grouped by home too. */
export type MirrorQuery = Omit<UsageAggregation, 'groupBy'> & { groupBy: UsageAggregation['groupBy'] | 'home' };
