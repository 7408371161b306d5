import type pg from 'pg';
import type { Position } from '../../listing/cursor.js';
import type { SearchQuery } from '../../search/match.js';
import type { LocatedDoc } from '../../search/session-matcher.js';
import type { IndexQuery, ModelUsage, UsageAggregate, UsageAggregation } from '../metadata-index.js';
import type { SearchFilter, StoredFile } from '../store.js';
import {
  DOC_CHUNK,
  docOf,
  documentsOf,
  needleChoices,
  scopeCodes,
  searchConditions,
  searchFilter,
  type DocRow,
  type NeedleChoice,
  type PgSearchFilter,
} from './search.js';
import { FILE_COLUMNS, Params, containsPattern, listConditions, named } from './sql.js';
import { normalize } from './store.js';
import { quarterHoursSuffice } from '../quarter-hours.js';
import type { MirrorQuery } from '../sqlite/usage-mirror.js';
import { NO_CACHE_WRITES, aggregateUsageOf, usageTimeRangeOf } from './usage.js';
import { PgUsageMirror } from './usage-mirror.js';

/** A row and the home it is in. */
export interface HomeRow extends StoredFile {
  home: string;
}

/** A list page over several homes: ties of the list order (one session id on two machines) are broken by home. */
export interface MultiHomeQuery extends Omit<IndexQuery, 'after'> {
  homes: readonly string[];
  after?: (Position & { home: string }) | undefined;
}

/**
 * The index's queries over several homes of the team database (the IndexStore interface stays
 * one home's: the SQLite store and the contract suite use it). Each answer is what the homes'
 * stores answer, merged: the rows of every home in one list order, with the home breaking ties;
 * usage rule 6 stays within each home. The machine-facing layer (src/team/read) names homes.
 */
export class PgMultiHome {
  private readonly mirror: PgUsageMirror;
  /** Each search's needle choices, decided at its first batch of candidates (a filter lives as long as its search). */
  private readonly choices = new WeakMap<PgSearchFilter, Promise<NeedleChoice[]>>();

  constructor(private readonly pool: pg.Pool) {
    this.mirror = new PgUsageMirror(pool);
  }

  /**
   * One page over `q.homes` in list order (key, or mtime then key; then home) after `q.after`.
   * Each home's rows come from its own keyset index (a lateral page per home), then are merged:
   * the cost grows with the page and the number of homes, not with the rows held.
   */
  async query(q: MultiHomeQuery, search?: SearchFilter): Promise<HomeRow[]> {
    if (q.homes.length === 0) return [];
    const p = new Params();
    const where = [...listConditions(q as IndexQuery, p)];
    const choices = search === undefined ? [] : await this.choicesOf(search as PgSearchFilter);
    if (search !== undefined) where.push(...searchConditions(search as PgSearchFilter, p, choices));
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const cmp = q.order === 'desc' ? '<' : '>';
    const near = q.order === 'desc' ? '<=' : '>=';
    const keys = q.sort === 'created' ? 's.key' : '(s.mtime_ms, s.key)';
    const order = q.sort === 'created' ? ['key'] : ['mtime_ms', 'key'];
    if (q.after) {
      const at = q.sort === 'created' ? p.add(q.after.key) : `(${p.add(q.after.mtimeMs)}, ${p.add(q.after.key)})`;
      // `near` keeps the home's keyset index on the position; the home breaks the tie.
      where.push(`${keys} ${near} ${at}`, `(${keys} ${cmp} ${at} OR s.home ${cmp} ${p.add(q.after.home)})`);
    }
    const limit = p.add(q.limit);
    const sql =
      `SELECT r.* FROM unnest(${p.add(q.homes)}::text[]) AS h(home) CROSS JOIN LATERAL (` +
      `SELECT s.home, s.mtime_ms AS mtime_order, s.key AS key_order, ${FILE_COLUMNS} FROM cs_index_files s ` +
      `WHERE s.home = h.home AND ${where.join(' AND ')} ORDER BY ${order.map((c) => `s.${c} ${dir}`).join(', ')} LIMIT ${limit}) r ` +
      `ORDER BY ${q.sort === 'created' ? '' : `r.mtime_order ${dir}, `}r.key_order ${dir}, r.home ${dir} LIMIT ${limit}`;
    // Prepared per connection (planning took longer than running it), unless the plan depends on a value:
    // a generic plan tells neither a rare LIKE pattern (the trigram index) from a common one, nor a few files from many.
    const generic = q.filter.q === undefined && choices.every((c) => c === 'probe');
    const { rows } = await this.pool.query<{ home: string }>(generic ? named(sql, p.values) : { text: sql, values: p.values });
    return rows.map((r) => ({ ...normalize(r)!, home: r.home }));
  }

  private choicesOf(search: PgSearchFilter): Promise<NeedleChoice[]> {
    let found = this.choices.get(search);
    if (found === undefined) {
      found = needleChoices(this.pool, search);
      this.choices.set(search, found);
    }
    return found;
  }

  /** How many sessions of `homes` pass the filters of `q` (PgStore.countMatching over several homes). */
  async count(homes: readonly string[], q: Omit<IndexQuery, 'after' | 'limit'>): Promise<number> {
    if (homes.length === 0) return 0;
    const p = new Params();
    const where = [`s.home = ANY(${p.add(homes)}::text[])`, ...listConditions(q as IndexQuery, p)];
    const sql = `SELECT count(*)::float8 AS n FROM cs_index_files s WHERE ${where.join(' AND ')}`;
    const { rows } = await this.pool.query<{ n: number }>(sql, p.values);
    return rows[0]!.n;
  }

  searchFilter(search: SearchQuery): SearchFilter {
    return searchFilter(search);
  }

  /** The documents of a file of `home` that may match `search`, when `current` accepts its row (else null); one statement. */
  currentDocuments(
    home: string,
    relPath: string,
    current: (row: StoredFile) => boolean,
    search: SearchQuery,
    fromLine: number,
  ): Promise<LocatedDoc[] | null> {
    return currentDocumentsOf(this.pool, home, relPath, current, search, fromLine);
  }

  /** Counted usage per model of each path of `home` indexed to an end at least once (PgStore.usageOf). */
  async usageOf(home: string, relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    // One statement (a list page asks it beside its reads): a path without counted usage has one row, with n = 0.
    const { rows } = await this.pool.query<ModelUsage & { p: string; n: number }>({
      name: 'cs-multi-usage-of',
      text:
        'SELECT s.rel_path AS p, count(u.fid)::int AS n, u.model, sum(u.input)::float8 AS "inputTokens", ' +
        'sum(u.cached)::float8 AS "cachedInputTokens", sum(u.output)::float8 AS "outputTokens", ' +
        `sum(u.reasoning)::float8 AS "reasoningOutputTokens", ${NO_CACHE_WRITES} ` +
        'FROM cs_index_files s LEFT JOIN cs_index_usage u ON u.fid = s.fid AND u.counted ' +
        'WHERE s.home = $1 AND s.rel_path = ANY($2::text[]) AND s.content_size >= 0 ' +
        'GROUP BY s.fid, s.rel_path, u.model ORDER BY s.fid, u.model',
      values: [home, relPaths],
    });
    const found = new Map<string, ModelUsage[]>();
    for (const { p, n, ...usage } of rows) {
      const models = found.get(p) ?? [];
      found.set(p, models);
      if (n > 0) models.push(usage);
    }
    return found;
  }

  async usageTimeRange(homes: readonly string[]): Promise<{ minMs: number; maxMs: number } | null> {
    const copy = await this.mirror.current();
    if (copy === null) return usageTimeRangeOf(this.pool, homes);
    const ranges = homes.map((h) => copy.range.get(h)).filter((r) => r !== undefined);
    if (ranges.length === 0) return null;
    return { minMs: Math.min(...ranges.map((r) => r.minMs)), maxMs: Math.max(...ranges.map((r) => r.maxMs)) };
  }

  /** Usage over `homes`; `groupBy: 'home'` groups by home. Whole quarter hours from the in-memory rollup while it is current. */
  async aggregateUsage(homes: readonly string[], q: MirrorQuery): Promise<UsageAggregate> {
    if (homes.length === 0) return { tokens: [], sessions: [] };
    const copy = quarterHoursSuffice(q as UsageAggregation) ? await this.mirror.current() : null;
    return copy === null ? aggregateUsageOf(this.pool, homes, q) : copy.aggregate(q, homes);
  }

  /** Every row of a session id (lower case) in `homes`, by home then path: more than one home makes an id ambiguous. */
  async byId(homes: readonly string[], id: string): Promise<HomeRow[]> {
    const { rows } = await this.pool.query<{ home: string }>({
      name: 'cs-multi-by-id',
      text: `SELECT s.home, ${FILE_COLUMNS} FROM cs_index_files s WHERE s.home = ANY($1::text[]) AND s.id = $2 ORDER BY s.home, s.rel_path`,
      values: [homes, id],
    });
    return rows.map((r) => ({ ...normalize(r)!, home: r.home }));
  }
}

/**
 * documentsOf for the file `relPath` of `home`, when `current` accepts its index row (null when it
 * does not, or the file has no row): the row and the first documents in one statement, as a
 * search page asks for each candidate.
 */
async function currentDocumentsOf(
  pool: pg.Pool,
  home: string,
  relPath: string,
  current: (row: StoredFile) => boolean,
  search: SearchQuery,
  fromLine: number,
): Promise<LocatedDoc[] | null> {
  const { rows } = await pool.query<Partial<DocRow>>({
    name: 'cs-index-current-documents',
    text:
      `SELECT ${FILE_COLUMNS}, d.line, d.role, d.kind, d.ts, d.text FROM cs_index_files s LEFT JOIN LATERAL (` +
      'SELECT line, role, kind, ts, text FROM cs_index_docs WHERE fid = s.fid AND line >= $3 AND role = ANY($4::int2[]) ' +
      'AND folded LIKE ANY($5::text[]) ORDER BY line LIMIT $6) d ON true WHERE s.home = $1 AND s.rel_path = $2 ORDER BY d.line',
    values: [home, relPath, fromLine, scopeCodes(search), search.needles.map(containsPattern), DOC_CHUNK],
  });
  const row = normalize(rows[0]);
  if (row === undefined || !current(row)) return null;
  const docs = rows.filter((r): r is DocRow => r.line !== null && r.line !== undefined).map(docOf);
  if (docs.length < DOC_CHUNK) return docs;
  return [...docs, ...(await documentsOf(pool, row.fid, search, docs[docs.length - 1]!.line + 1))];
}
