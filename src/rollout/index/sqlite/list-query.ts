import type { IndexQuery } from '../metadata-index.js';
import type { SessionSource } from '../../types.js';

/** SQL conditions with their parameters, ANDed into a query on the session row `s`. */
export interface SqlCondition {
  where: string[];
  params: unknown[];
}

export const NO_CONDITION: SqlCondition = { where: [], params: [] };

/**
 * Listing both roots, an archived copy of an active file name is hidden (as in the scan); the
 * list, the usage SQL and the usage mirror all use this one condition on the session row `s`.
 */
export const NOT_SHADOWED =
  '(s.archived = 0 OR NOT EXISTS (SELECT 1 FROM sessions a WHERE a.home = s.home AND a.key = s.key AND a.archived = 0))';

/** The conditions of a list page on the session row `s` of `home`, besides its cursor (the filters of q). */
export function listConditions(q: Omit<IndexQuery, 'after' | 'limit'>, home: string, extra: SqlCondition = NO_CONDITION): SqlCondition {
  const where: string[] = ['s.home = ?', 's.is_session = 1', ...extra.where];
  const params: unknown[] = [home, ...extra.params];
  if (!q.includeEmpty) where.push('s.has_user_message = 1');
  if (q.archived === 'false') where.push('s.archived = 0');
  else if (q.archived === 'true') where.push('s.archived = 1');
  else where.push(NOT_SHADOWED);
  const inList = (column: string, values: readonly string[]) => {
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  const f = q.filter;
  if (f.cwd) inList('s.cwd_norm', f.cwd);
  if (f.source) inList('s.source', f.source);
  if (f.provider) inList('s.model_provider', f.provider);
  const timeColumn = q.sort === 'created' ? 's.created_ms' : 's.mtime_ms';
  if (f.sinceMs !== undefined) {
    where.push(`${timeColumn} >= ?`);
    params.push(f.sinceMs);
  }
  if (f.untilMs !== undefined) {
    where.push(`${timeColumn} <= ?`);
    params.push(f.untilMs);
  }
  if (f.q !== undefined) {
    // q is folded already (filters.ts); without names that match (always so for Claude), no OR.
    if (q.nameMatchIds.length === 0) where.push('instr(s.title_folded, ?) > 0');
    else where.push('(instr(s.title_folded, ?) > 0 OR s.id IN (SELECT value FROM json_each(?)))');
    params.push(f.q, ...(q.nameMatchIds.length === 0 ? [] : [JSON.stringify(q.nameMatchIds)]));
  }
  return { where, params };
}

/**
 * The next `q.limit` candidate files of a page of `home`, in order; the caller validates each
 * against the disk. `extra` adds conditions on the session row `s` (search). `columns` is the
 * select list, each column prefixed `s.`. `index`: the index the rows are found in (else the planner's choice).
 */
export function listQuery(
  q: IndexQuery,
  home: string,
  columns: string,
  extra: SqlCondition = NO_CONDITION,
  index?: string,
): { sql: string; params: unknown[] } {
  const { where, params } = listConditions(q, home, extra);
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const cmp = q.order === 'desc' ? '<' : '>';
  let orderBy: string;
  if (q.sort === 'created') {
    if (q.after) {
      where.push(`s.key ${cmp} ?`);
      params.push(q.after.key);
    }
    orderBy = `s.key ${dir}`;
  } else {
    if (q.after) {
      where.push(`(s.mtime_ms ${cmp} ? OR (s.mtime_ms = ? AND s.key ${cmp} ?))`);
      params.push(q.after.mtimeMs, q.after.mtimeMs, q.after.key);
    }
    orderBy = `s.mtime_ms ${dir}, s.key ${dir}`;
  }
  params.push(q.limit);
  const from = index === undefined ? 'sessions s' : `sessions s INDEXED BY ${index}`;
  return { sql: `SELECT ${columns} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ?`, params };
}

/**
 * `listQuery` in two steps: the page's keys first, from an index alone, then their rows.
 * In one step SQLite read the ~13 KB row of every session the index walk passed before testing
 * filters the index itself holds (`source=interactive` on 100,000 sessions that match nothing:
 * 4.3 s, against 0.14 s for the keys). CROSS JOIN keeps the keys the outer loop: when the keys
 * step looked costly (a search's condition), SQLite scanned every row of the table to join
 * them instead (1.3 s of SQL per search page on 10,000 sessions, against 27 ms).
 */
export function listRowsQuery(
  q: IndexQuery,
  home: string,
  columns: string,
  extra: SqlCondition = NO_CONDITION,
): { sql: string; params: unknown[] } {
  const order = q.sort === 'created' ? ['key'] : ['mtime_ms', 'key'];
  const keys = keysQuery(q, home, ['s.home', 's.rel_path', ...order.map((c) => `s.${c}`)].join(', '), extra);
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const sql =
    `SELECT ${columns} FROM (${keys.sql}) k CROSS JOIN sessions s ON s.home = k.home AND s.rel_path = k.rel_path ` +
    `ORDER BY ${order.map((c) => `k.${c} ${dir}`).join(', ')}`;
  return { sql, params: keys.params };
}

/**
 * The keys of a page. In key order with a source filter, each source value is a seek into
 * sessions_source and a walk in key order from there, and the page's keys are the first of
 * their merge. The sort's index, which SQLite chose, is walked until the page is full: to its
 * end when no session has the source (`source=interactive` on 100,000 sessions: 54 ms). In
 * mtime order sessions_source would have to sort every match, so the sort's index stays.
 */
function keysQuery(q: IndexQuery, home: string, columns: string, extra: SqlCondition): { sql: string; params: unknown[] } {
  const sources = q.filter.source;
  if (q.sort !== 'created' || sources === undefined || sources.length === 0) return listQuery(q, home, columns, extra);
  const arm = (source: SessionSource) =>
    listQuery({ ...q, filter: { ...q.filter, source: [source] } }, home, columns, extra, 'sessions_source');
  const arms = sources.map(arm);
  if (arms.length === 1) return arms[0]!;
  return {
    sql: `${arms.map((a) => `SELECT * FROM (${a.sql})`).join(' UNION ALL ')} ORDER BY key ${q.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`,
    params: [...arms.flatMap((a) => a.params), q.limit],
  };
}

/** How many sessions of `home` pass the filters of a list page (its cursor and limit aside). */
export function countQuery(
  q: Omit<IndexQuery, 'after' | 'limit'>,
  home: string,
  extra: SqlCondition = NO_CONDITION,
): { sql: string; params: unknown[] } {
  const { where, params } = listConditions(q, home, extra);
  return { sql: `SELECT count(*) AS n FROM sessions s WHERE ${where.join(' AND ')}`, params };
}
