import type pg from 'pg';
import type { UsageAggregate } from '../metadata-index.js';
import { UsageMirror, type MirrorQuery, type RollupRow, type SessionRow } from '../sqlite/usage-mirror.js';
import { NOT_SHADOWED } from './sql.js';

/** Rollup rows held at most, as SQLite's mirror (about 100 bytes each with their sessions' facts). */
const MIRROR_MAX_ROWS = 500_000;

/** The copy is read again at most this often while the index keeps changing (reading costs more than a SQL answer). */
const RELOAD_MS = 10_000;

/** The copy and what else it answers: each home's earliest and latest counted response, in ms. */
interface Copy {
  version: string;
  mirror: UsageMirror;
  ranges: Map<string, { minMs: number; maxMs: number }>;
}

/**
 * The team index's usage rollup in memory (UsageMirror, as SQLite's index keeps it), per instance:
 * GET /usage groups ~100,000 rows in JavaScript in a few ms where the SQL joins and groups them in
 * hundreds. Each answer first reads the database's change counter (cs_index_version, migration 7,
 * bumped by the index's writes in their transactions): the copy answers only when it was read at
 * that version, so any instance answers what the database holds, whoever wrote it. A stale copy is
 * dropped and read again in the background (one REPEATABLE READ snapshot: counter and rows agree);
 * meanwhile the SQL answers.
 */
export class PgUsageMirror {
  private copy: Copy | null = null;
  private loading = false;
  private lastLoad = Number.NEGATIVE_INFINITY;

  /** `reloadMs`: at most one read of the copy in this long (tests: 0). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly reloadMs = RELOAD_MS,
  ) {}

  /** The copy when it is as the database is now; null otherwise (and a reload is started when due). */
  async current(): Promise<{ aggregate: (q: MirrorQuery, homes: readonly string[]) => UsageAggregate; range: Copy['ranges'] } | null> {
    const { rows } = await this.pool.query<{ n: string }>({ name: 'cs-index-version', text: 'SELECT n FROM cs_index_version' });
    const version = rows[0]?.n;
    const copy = this.copy;
    if (copy !== null && copy.version === version) {
      return { aggregate: (q, homes) => copy.mirror.aggregate(q, new Set(homes)), range: copy.ranges };
    }
    this.copy = null; // a stale copy is never used, and goes at once
    if (!this.loading && Date.now() - this.lastLoad >= this.reloadMs) {
      this.loading = true;
      this.lastLoad = Date.now();
      this.load()
        .then((c) => (this.copy = c))
        .catch(() => (this.copy = null)) // the SQL answers meanwhile, and reports what is wrong
        .finally(() => (this.loading = false));
    }
    return null;
  }

  /** Reads the rollup and its sessions' facts at one snapshot with the counter; null when the rollup is too large. */
  private async load(): Promise<Copy | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const version = (await client.query<{ n: string }>('SELECT n FROM cs_index_version')).rows[0]!.n;
      const n = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM cs_index_usage_rollup')).rows[0]!.n);
      if (n > MIRROR_MAX_ROWS) return null;
      const sessions = await client.query<SessionRow>({
        text:
          'SELECT s.fid::float8, s.id, s.archived, s.cwd_norm, s.source, s.model_provider, ' +
          `NOT ${NOT_SHADOWED}, s.home FROM cs_index_files s WHERE s.fid IN (SELECT fid FROM cs_index_usage_rollup)`,
        rowMode: 'array',
      });
      const rollup = await client.query<RollupRow>({
        text: 'SELECT fid::float8, qh, model, input::float8, cached::float8, output::float8, reasoning::float8 FROM cs_index_usage_rollup',
        rowMode: 'array',
      });
      const ranges = await client.query<{ home: string; minMs: number; maxMs: number }>(
        'SELECT home, min(at_ms)::float8 AS "minMs", max(at_ms)::float8 AS "maxMs" FROM cs_index_usage WHERE counted GROUP BY home',
      );
      const mirror = UsageMirror.build(0, n, sessions.rows, rollup.rows);
      const known = ranges.rows.filter((r) => r.minMs !== null && r.maxMs !== null);
      return { version, mirror, ranges: new Map(known.map((r) => [r.home, { minMs: r.minMs, maxMs: r.maxMs }])) };
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
}
