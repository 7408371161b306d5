import type Database from 'better-sqlite3';
import { passesSelectors } from '../../usage/grouping.js';
import { zeroTokens } from '../../sources/common/tokens.js';
import { bucketDay, DAY_MS, type OffsetInterval } from '../../usage/time-buckets.js';
import type { UsageAggregate, UsageAggregation, UsageBucket } from '../metadata-index.js';
import { NO_TIME, QUARTER_MS } from '../quarter-hours.js';

/** Rollup rows held at most (about 42 bytes each, plus the facts of their sessions); a larger home is answered by SQL. */
const MIRROR_MAX_ROWS = 500_000;

type Opt = string | null;
/** fid, id, archived, cwd, source, provider, shadowed (booleans as 0/1 or true/false), and the home (PostgreSQL's several). */
export type SessionRow = [number, string, number | boolean, Opt, Opt, Opt, number | boolean, string?];
/** fid, qh, model, input, cached, output, reasoning, cache writes 5m, 1h (Claude's; absent: 0). */
export type RollupRow = [number, number, string, number, number, number, number, number?, number?];
/** Counts per rollup row: input, cached, output, reasoning, cache writes (5m, 1h; Claude's). */
const WIDTH = 6;

interface SessionFacts {
  id: string;
  /** The home (PostgreSQL's index holds several); '' in SQLite's. */
  home: string;
  /** The same number for every row of one session id in one home: sessions are counted by it. */
  identity: number;
  archived: boolean;
  /** An archived copy of a file name that is also active: left out when both roots are listed. */
  shadowed: boolean;
  cwd: string | null;
  source: string | null;
  provider: string | null;
}

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
    private readonly sessions: SessionFacts[],
  ) {}

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
    const sessions: SessionFacts[] = [];
    const sessionIndex = new Map<number, number>();
    const identities = new Map<string, number>();
    for (const [fid, id, archived, cwd, source, provider, shadowed, home = ''] of sessionRows) {
      // SQLite's one home: the id alone (no string built per session).
      const key = home === '' ? id : `${home}\n${id}`;
      let identity = identities.get(key);
      if (identity === undefined) identities.set(key, (identity = identities.size));
      const facts = { id, home, identity, archived: archived === 1 || archived === true, shadowed: shadowed === 1 || shadowed === true };
      sessionIndex.set(fid, sessions.push({ ...facts, cwd, source, provider }) - 1);
    }
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
    return new UsageMirror(version, qh.subarray(0, i), model, session, counts, models, sessions);
  }

  /**
   * The same answer as the SQL over the rollup: token sums per bucket and model, distinct sessions
   * (of a home) per bucket; only the sessions of `homes` when given, and groupBy `home` by home.
   */
  aggregate(q: MirrorQuery, homes?: ReadonlySet<string>): UsageAggregate {
    const keep = sessionFilter(q, this.sessions, homes);
    const bucketOf = bucketFunction(
      q,
      (i) => this.sessions[this.session[i]!]!,
      (i) => this.models[this.model[i]!]!,
    );
    const since = q.sinceMs;
    const until = q.untilMs;
    const tokens = new Map<UsageBucket, Map<string, UsageAggregate['tokens'][number]>>();
    const perBucket = new Map<UsageBucket, Set<number>>();
    for (let i = 0; i < this.qh.length; i++) {
      const s = this.session[i]!;
      if (!keep[s]) continue;
      const qh = this.qh[i]!;
      if (since !== undefined || until !== undefined) {
        if (qh === NO_TIME) continue;
        const at = qh * QUARTER_MS;
        if ((since !== undefined && at < since) || (until !== undefined && at > until)) continue;
      }
      const bucket = bucketOf(i, qh);
      const model = this.models[this.model[i]!]!;
      let byModel = tokens.get(bucket);
      if (byModel === undefined) tokens.set(bucket, (byModel = new Map()));
      let row = byModel.get(model);
      if (row === undefined) {
        row = { bucket, model, ...zeroTokens(), cacheWrite5mTokens: 0, cacheWrite1hTokens: 0 };
        byModel.set(model, row);
      }
      const at = WIDTH * i;
      row.inputTokens += this.counts[at]!;
      row.cachedInputTokens += this.counts[at + 1]!;
      row.outputTokens += this.counts[at + 2]!;
      row.reasoningOutputTokens += this.counts[at + 3]!;
      row.cacheWrite5mTokens! += this.counts[at + 4]!;
      row.cacheWrite1hTokens! += this.counts[at + 5]!;
      let ids = perBucket.get(bucket);
      if (ids === undefined) perBucket.set(bucket, (ids = new Set()));
      ids.add(this.sessions[s]!.identity);
    }
    const sessions = [...perBucket].map(([bucket, ids]) => ({ bucket, n: ids.size }));
    return { tokens: [...tokens.values()].flatMap((byModel) => [...byModel.values()]), sessions };
  }
}

/** A usage aggregation, grouped by home too. */
export type MirrorQuery = Omit<UsageAggregation, 'groupBy'> & { groupBy: UsageAggregation['groupBy'] | 'home' };

/** Which sessions pass the roots and filters of `q` (and are of `homes`), by index. */
function sessionFilter(q: MirrorQuery, sessions: readonly SessionFacts[], homes?: ReadonlySet<string>): boolean[] {
  return sessions.map(
    (s) =>
      (homes === undefined || homes.has(s.home)) &&
      (q.archived === 'all' ? !s.archived || !s.shadowed : s.archived === (q.archived === 'true')) &&
      passesSelectors(s, q.filter),
  );
}

/** The group of a row, as the SQL over the rollup computes it (integer division truncates, as SQLite's does). */
function bucketFunction(
  q: MirrorQuery,
  sessionOf: (i: number) => SessionFacts,
  modelOf: (i: number) => string,
): (i: number, qh: number) => UsageBucket {
  switch (q.groupBy) {
    case 'home':
      return (i) => sessionOf(i).home;
    case 'model':
      return (i) => modelOf(i);
    case 'cwd':
      return (i) => sessionOf(i).cwd;
    case 'source':
      return (i) => sessionOf(i).source;
    case 'provider':
      return (i) => sessionOf(i).provider;
    case 'session':
      return (i) => sessionOf(i).id;
    default: {
      const group = q.groupBy;
      const offsets: readonly OffsetInterval[] = q.offsets;
      // bucketDay of a month goes through luxon: once per day number.
      const buckets = new Map<number, number>();
      return (_i, qh) => {
        if (qh === NO_TIME) return null;
        const at = qh * QUARTER_MS;
        const o = offsets.find((x) => at < Math.trunc(x.endMs));
        if (o === undefined) return null;
        const day = Math.trunc((at + Math.trunc(o.offsetMs)) / DAY_MS);
        let bucket = buckets.get(day);
        if (bucket === undefined) buckets.set(day, (bucket = bucketDay(day, group)));
        return bucket;
      };
    }
  }
}
