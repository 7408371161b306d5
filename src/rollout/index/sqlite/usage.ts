import type Database from 'better-sqlite3';
import type { ArchivedFilter } from '../../types.js';
import { isFileLocalKey, type UsageResponse } from '../../sources/common/usage-response.js';
import type { GroupBy } from '../../usage/grouping.js';
import { DAY_MS, type OffsetInterval } from '../../usage/time-buckets.js';
import type { TokenCounts } from '../../sources/common/tokens.js';
import type { UsageAggregate, UsageAggregation } from '../metadata-index.js';
import { NO_TIME, QUARTER_MS, quarterHoursSuffice } from '../quarter-hours.js';
import { UsageMirror, usageAnswers } from './usage-mirror.js';
import { NOT_SHADOWED } from './list-query.js';
import { CLAUDE_MAIN, CLAUDE_SIDECHAIN, claudeOrder, ownedAlready, SIDECHAIN_MARK, type Carrier } from './claude-owners.js';

export { SIDECHAIN_MARK } from './claude-owners.js';

const SOURCE_CODES = { record: 1, token_count: 2 } as const;


export function createUsageTables(): string {
  return `
    -- One row per counted model response (docs/usage.md), with whether it counts: rule 1 (a file with
    -- token_usage_record lines does not count its token_count events) and rule 6 (a response
    -- several files carry counts once) are kept up to date as files come and go.
    CREATE TABLE IF NOT EXISTS usage_responses (
      fid INTEGER NOT NULL,
      line INTEGER NOT NULL,
      -- thread_id/response_id; null for a response only its own file knows.
      key TEXT,
      thread_id TEXT,
      source INTEGER NOT NULL,
      at_ms INTEGER,
      model TEXT NOT NULL,
      turn_id TEXT,
      input INTEGER NOT NULL,
      cached INTEGER NOT NULL,
      output INTEGER NOT NULL,
      reasoning INTEGER NOT NULL,
      -- Claude's cache writes (5-minute, 1-hour lifetime), part of input; 0 for Codex.
      cw5m INTEGER NOT NULL DEFAULT 0,
      cw1h INTEGER NOT NULL DEFAULT 0,
      counted INTEGER NOT NULL,
      PRIMARY KEY (fid, line)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS usage_by_key ON usage_responses (key) WHERE key IS NOT NULL;
    CREATE INDEX IF NOT EXISTS usage_by_thread ON usage_responses (thread_id, key) WHERE key IS NOT NULL;
    -- /usage reads only this index when it cannot use the rollup: the counted responses in time order with their counts.
    CREATE INDEX IF NOT EXISTS usage_counted ON usage_responses (counted, at_ms, fid, model, input, cached, output, reasoning, cw5m, cw1h);
    -- The counted responses summed per session, quarter hour (UTC) and model, kept by triggers:
    -- every zone's offsets today are whole quarter hours, so days, weeks and months in any of
    -- them are sums of these rows (a few per session, against one per response).
    CREATE TABLE IF NOT EXISTS usage_rollup (
      fid INTEGER NOT NULL,
      qh INTEGER NOT NULL,
      model TEXT NOT NULL,
      input INTEGER NOT NULL,
      cached INTEGER NOT NULL,
      output INTEGER NOT NULL,
      reasoning INTEGER NOT NULL,
      cw5m INTEGER NOT NULL DEFAULT 0,
      cw1h INTEGER NOT NULL DEFAULT 0,
      n INTEGER NOT NULL,
      PRIMARY KEY (fid, qh, model)
    ) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS usage_rollup_insert AFTER INSERT ON usage_responses WHEN new.counted = 1 BEGIN
      ${rollupAdd('new', 1)}
    END;
    CREATE TRIGGER IF NOT EXISTS usage_rollup_delete AFTER DELETE ON usage_responses WHEN old.counted = 1 BEGIN
      ${rollupAdd('old', -1)}
    END;
    CREATE TRIGGER IF NOT EXISTS usage_rollup_counted AFTER UPDATE OF counted ON usage_responses
    WHEN old.counted <> new.counted BEGIN
      ${rollupAdd('new', 'new.counted - old.counted')}
    END;
  `;
}

/** The in-memory rollup is read again at most this often while the index changes. */
const MIRROR_RELOAD_MS = 10_000;

/** The trigger statement that adds (sign 1) or takes away (-1) one response row of `row` (new or old) in the rollup. */
function rollupAdd(row: 'new' | 'old', sign: number | string): string {
  const at = `${row}.at_ms`;
  // Floor division (SQLite's / truncates towards zero, which is wrong before 1970).
  const floor = `(${at} - ((${at} % ${QUARTER_MS}) + ${QUARTER_MS}) % ${QUARTER_MS}) / ${QUARTER_MS}`;
  const qh = `CASE WHEN ${at} IS NULL THEN ${NO_TIME} ELSE ${floor} END`;
  const v = (column: string) => `(${sign}) * ${row}.${column}`;
  return (
    `INSERT INTO usage_rollup (fid, qh, model, input, cached, output, reasoning, cw5m, cw1h, n) ` +
    `VALUES (${row}.fid, ${qh}, ${row}.model, ${v('input')}, ${v('cached')}, ${v('output')}, ${v('reasoning')}, ` +
    `${v('cw5m')}, ${v('cw1h')}, ${sign}) ` +
    'ON CONFLICT (fid, qh, model) DO UPDATE SET input = input + excluded.input, cached = cached + excluded.cached, ' +
    'output = output + excluded.output, reasoning = reasoning + excluded.reasoning, cw5m = cw5m + excluded.cw5m, ' +
    'cw1h = cw1h + excluded.cw1h, n = n + excluded.n;'
  );
}

export function dropUsageTables(): string {
  return 'DROP TABLE IF EXISTS usage_rollup; DROP TABLE IF EXISTS usage_responses;';
}

/**
 * What a usage query reads as `r` (both have the model and the four counts): each response
 * (exact at any time), or the rollup (whole quarter hours).
 */
interface UsageSource {
  from: string;
  /** The time of `r`, in ms (the start of its quarter hour in the rollup). */
  at: string;
  counted: string;
}

const RESPONSES: UsageSource = { from: 'usage_responses r', at: 'r.at_ms', counted: 'r.counted = 1' };

const ROLLUP: UsageSource = {
  from: 'usage_rollup r',
  at: `(CASE WHEN r.qh = ${NO_TIME} THEN NULL ELSE r.qh * ${QUARTER_MS} END)`,
  counted: 'r.n > 0',
};

/** One model's counts in one session. */
export interface SessionModelUsage extends TokenCounts {
  fid: number;
  model: string;
}

/**
 * Which roots' sessions count. Listing both, an archived copy of an active file name is left
 * out (as in the list): the same session must not count twice.
 */
function archivedCondition(archived: ArchivedFilter): string[] {
  if (archived === 'false') return ['s.archived = 0'];
  if (archived === 'true') return ['s.archived = 1'];
  return [NOT_SHADOWED];
}

/** The SQL value of a response's group: a session column, the model, or a day number for time groups. */
function bucketExpression(groupBy: GroupBy, offsets: readonly OffsetInterval[], src: UsageSource): string {
  switch (groupBy) {
    case 'model':
      return 'r.model';
    case 'cwd':
      return 's.cwd_norm';
    case 'source':
      return 's.source';
    case 'provider':
      return 's.model_provider';
    case 'session':
      return 's.id';
    default: {
      // The local day of the response's time: its offset is the one of the interval it falls in.
      const at = src.at;
      const cases = offsets.map((o) => `WHEN ${at} < ${Math.trunc(o.endMs)} THEN (${at} + ${Math.trunc(o.offsetMs)}) / ${DAY_MS}`);
      const day = `(CASE WHEN ${at} IS NULL THEN NULL ${cases.join(' ')} END)`;
      if (groupBy === 'day') return day;
      if (groupBy === 'week') return `(${day} - ((${day} + 3) % 7 + 7) % 7)`;
      return `(CAST(strftime('%s', date(${day} * 86400, 'unixepoch', 'start of month')) AS INTEGER) / 86400)`;
    }
  }
}


/** The SQLite side of usage: a file's responses, and who counts the shared ones. */
export class UsageStore {
  private readonly insert: Database.Statement;
  private readonly deleteFile: Database.Statement;
  private readonly keysOfFile: Database.Statement;
  private readonly seenOfFile: Database.Statement;
  private readonly setOwnerLine: Database.Statement;
  private readonly keysOfThread: Database.Statement;
  private readonly carriers: Database.Statement;
  private readonly sessionExists: Database.Statement;
  private readonly setOwner: Database.Statement;
  private readonly dropTokenCount: Database.Statement;
  private readonly totalChanges: Database.Statement;
  private mirror: UsageMirror | null = null;
  private reloading = false;
  private lastLoad = Number.NEGATIVE_INFINITY;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      'INSERT OR REPLACE INTO usage_responses (fid, line, key, thread_id, source, at_ms, model, turn_id, ' +
        'input, cached, output, reasoning, cw5m, cw1h, counted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
    );
    this.deleteFile = db.prepare('DELETE FROM usage_responses WHERE fid = ?');
    this.keysOfFile = db.prepare('SELECT DISTINCT key FROM usage_responses WHERE fid = ? AND key IS NOT NULL').pluck();
    this.seenOfFile = db
      .prepare(
        `SELECT DISTINCT key || CASE source WHEN ${CLAUDE_SIDECHAIN} THEN ? ELSE '' END ` +
          'FROM usage_responses WHERE fid = ? AND key IS NOT NULL',
      )
      .pluck();
    this.setOwnerLine = db.prepare('UPDATE usage_responses SET counted = (fid = ? AND line = ?) WHERE key = ?');
    this.keysOfThread = db.prepare('SELECT DISTINCT key FROM usage_responses WHERE thread_id = ? AND key IS NOT NULL').pluck();
    this.carriers = db.prepare(
      'SELECT r.fid AS fid, r.line AS line, r.source AS source, s.id AS id, s.created_ms AS createdMs, s.rel_path AS relPath, ' +
        'r.thread_id AS threadId, r.counted AS counted ' +
        `FROM usage_responses r JOIN sessions s ON s.fid = r.fid WHERE r.key = ? AND ${archivedCondition('all')[0]}`,
    );
    this.sessionExists = db.prepare('SELECT 1 FROM sessions WHERE id = ? AND is_session = 1 LIMIT 1').pluck();
    this.setOwner = db.prepare('UPDATE usage_responses SET counted = (fid = ?) WHERE key = ?');
    this.totalChanges = db.prepare('SELECT total_changes() AS n');
    this.dropTokenCount = db.prepare(`UPDATE usage_responses SET counted = 0 WHERE fid = ? AND source = ${SOURCE_CODES.token_count}`);
  }

  /** Adds responses of one file (call inside a transaction); `hasRecords` is its counter's rule 1 flag. */
  add(fid: number, responses: readonly UsageResponse[], hasRecords: boolean): void {
    const keys = new Set<string>();
    for (const r of responses) {
      const shared = !isFileLocalKey(r.responseKey);
      const at = r.at === null ? null : Date.parse(r.at);
      this.insert.run(
        fid,
        r.lineNo,
        shared ? r.responseKey : null,
        r.threadId,
        r.sidechain === undefined ? SOURCE_CODES[r.source] : r.sidechain ? CLAUDE_SIDECHAIN : CLAUDE_MAIN,
        at === null || Number.isNaN(at) ? null : at,
        r.model,
        r.turnId,
        r.inputTokens,
        r.cachedInputTokens,
        r.outputTokens,
        r.reasoningOutputTokens,
        r.cacheWrite5mTokens ?? 0,
        r.cacheWrite1hTokens ?? 0,
      );
      if (shared) keys.add(r.responseKey);
    }
    // Rule 1 applies to the file's earlier token_count responses too.
    if (hasRecords) this.dropTokenCount.run(fid);
    for (const key of keys) this.reown(key);
  }

  /** The keys of a file's shared responses, each once (a Claude sidechain copy's with SIDECHAIN_MARK: a counter's seen keys). */
  keysOf(fid: number): string[] {
    return this.seenOfFile.all(SIDECHAIN_MARK, fid) as string[];
  }

  /** Forgets a file's responses (it is read again, or it is gone); the responses it shared find their owner again. */
  removeFile(fid: number): void {
    const keys = this.keysOfFile.all(fid) as string[];
    this.deleteFile.run(fid);
    for (const key of keys) this.reown(key);
  }

  /** A session with this id came or went: the responses of its thread that other files carry find their owner again. */
  sessionChanged(id: string): void {
    for (const key of this.keysOfThread.all(id) as string[]) this.reown(key);
  }

  /**
   * Rule 6 for one shared response: it belongs to the session whose id is its thread id (when
   * that session's file does not carry it, nobody here counts it: that session counts its usage
   * its own way); when no session has that id, to the oldest file that carries it.
   */
  private reown(key: string): void {
    const carriers = this.carriers.all(key) as (Carrier & { threadId: string | null })[];
    if (carriers.length === 0) return;
    if (carriers[0]!.source >= CLAUDE_MAIN) {
      this.reownClaude(key, carriers);
      return;
    }
    const threadId = carriers[0]!.threadId;
    const own = threadId !== null && this.sessionExists.get(threadId) !== undefined;
    const candidates = own ? carriers.filter((c) => c.id === threadId) : carriers;
    candidates.sort(
      (a, b) => (a.createdMs ?? Infinity) - (b.createdMs ?? Infinity) || (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0),
    );
    this.setOwner.run(candidates[0]?.fid ?? -1, key);
  }

  /**
   * Claude's rules 1-2 for one shared response (docs/claude.md; countClaudeResponses): one copy
   * counts, a main-chain one before a sidechain one, then the oldest file's, then the first line's.
   */
  private reownClaude(key: string, carriers: Carrier[]): void {
    const best = carriers.reduce((a, b) => (claudeOrder(b, a) < 0 ? b : a));
    if (ownedAlready(carriers, best)) return;
    this.setOwnerLine.run(best.fid, best.line, key);
  }

  /** The earliest and latest time of a counted response (for the zone's offsets); null when there is none. */
  timeRange(): { minMs: number; maxMs: number } | null {
    // Two subqueries: SQLite reads a lone min() or max() from the end of usage_counted, both in one select scan every row.
    const r = this.db
      .prepare(
        'SELECT (SELECT min(at_ms) FROM usage_responses WHERE counted = 1) AS minMs, ' +
          '(SELECT max(at_ms) FROM usage_responses WHERE counted = 1) AS maxMs',
      )
      .get() as {
      minMs: number | null;
      maxMs: number | null;
    };
    return r.minMs === null || r.maxMs === null ? null : { minMs: r.minMs, maxMs: r.maxMs };
  }

  /**
   * The counted usage of the sessions that pass `q`, summed per group and model, and the
   * number of sessions per group. The SQL counterpart of groupUsage (usage/grouping.ts). Whole
   * quarter hours are answered from the rollup (in memory when it is current), other bounds and
   * zones from the response rows; `via` picks one (tests compare them).
   */
  aggregate(q: UsageAggregation, via: 'auto' | 'mirror' | 'rollup' | 'responses' = 'auto'): UsageAggregate {
    const src = via !== 'responses' && quarterHoursSuffice(q) ? ROLLUP : RESPONSES;
    let mirror: UsageMirror | null = null;
    if (src === ROLLUP && via === 'auto') mirror = this.currentMirror();
    // Tests ask for the mirror as the index is now, read at once if need be.
    if (src === ROLLUP && via === 'mirror') mirror = this.currentMirror() ?? UsageMirror.load(this.db, this.version());
    usageAnswers[mirror !== null ? 'mirror' : 'sql']++;
    if (mirror !== null) return mirror.aggregate(q);
    const where = [src.counted];
    const params: unknown[] = [];
    if (q.sinceMs !== undefined) {
      where.push(`${src.at} >= ?`);
      params.push(q.sinceMs);
    }
    if (q.untilMs !== undefined) {
      where.push(`${src.at} <= ?`);
      params.push(q.untilMs);
    }
    where.push(...archivedCondition(q.archived));
    for (const [column, values] of [
      ['s.cwd_norm', q.filter.cwd],
      ['s.source', q.filter.source],
      ['s.model_provider', q.filter.provider],
    ] as const) {
      if (values === undefined) continue;
      where.push(`${column} IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(values));
    }
    const bucket = bucketExpression(q.groupBy, q.offsets, src);
    // Sessions first, through the index that covers them, then each one's usage rows by key.
    const from = `FROM sessions s INDEXED BY sessions_usage CROSS JOIN ${src.from} WHERE r.fid = s.fid AND ${where.join(' AND ')}`;
    const tokens = this.db
      .prepare(
        `SELECT ${bucket} AS bucket, r.model AS model, total(r.input) AS inputTokens, total(r.cached) AS cachedInputTokens, ` +
          `total(r.output) AS outputTokens, total(r.reasoning) AS reasoningOutputTokens, total(r.cw5m) AS cacheWrite5mTokens, ` +
          `total(r.cw1h) AS cacheWrite1hTokens ${from} GROUP BY 1, 2`,
      )
      .all(...params) as UsageAggregate['tokens'];
    const sessions = this.db
      .prepare(`SELECT ${bucket} AS bucket, count(DISTINCT s.id) AS n ${from} GROUP BY 1`)
      .all(...params) as UsageAggregate['sessions'];
    return { tokens, sessions };
  }

  /**
   * The rollup in memory when it is as the index is now; null otherwise (SQL answers). A stale
   * one is read again after the response, at most every MIRROR_RELOAD_MS: reading costs more
   * than one SQL answer, so an index that keeps changing is answered by SQL.
   */
  private currentMirror(): UsageMirror | null {
    const version = this.version();
    if (this.mirror?.version === version) return this.mirror;
    this.mirror = null; // a stale copy is never used, and goes at once
    const now = Date.now();
    if (this.reloading || now - this.lastLoad < MIRROR_RELOAD_MS) return null;
    this.reloading = true;
    setImmediate(() => this.warmMirror());
    return null;
  }

  /** After a full pass: the mirror read now, so that no request pays for reading it (bounded as load() is). */
  warmMirror(): void {
    this.reloading = false;
    this.lastLoad = Date.now();
    try {
      const version = this.version();
      if (this.mirror?.version !== version) this.mirror = UsageMirror.load(this.db, version);
    } catch {
      this.mirror = null; // the index was closed or damaged meanwhile: SQL answers (and finds out)
    }
  }

  private version(): number {
    return (this.totalChanges.get() as { n: number }).n;
  }

  /** Of `keys`, those counted in a file other than `fid`. */
  countedElsewhere(fid: number, keys: readonly string[]): Set<string> {
    const rows = this.db
      .prepare('SELECT DISTINCT key FROM usage_responses WHERE key IN (SELECT value FROM json_each(?)) AND counted = 1 AND fid <> ?')
      .pluck()
      .all(JSON.stringify(keys), fid) as string[];
    return new Set(rows);
  }

  /** The counted usage of these files, per file and model. */
  ofFiles(fids: readonly number[]): SessionModelUsage[] {
    if (fids.length === 0) return [];
    return this.db
      .prepare(
        'SELECT fid, model, total(input) AS inputTokens, total(cached) AS cachedInputTokens, total(output) AS outputTokens, ' +
          'total(reasoning) AS reasoningOutputTokens, total(cw5m) AS cacheWrite5mTokens, total(cw1h) AS cacheWrite1hTokens ' +
          'FROM usage_responses WHERE counted = 1 AND fid IN (SELECT value FROM json_each(?)) ' +
          'GROUP BY fid, model',
      )
      .all(JSON.stringify(fids)) as SessionModelUsage[];
  }
}
