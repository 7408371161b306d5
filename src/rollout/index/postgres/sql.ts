import { createHash } from 'node:crypto';
import type { IndexQuery } from '../metadata-index.js';

/** Positional parameters of one statement: `add` returns the placeholder of a value. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A statement built from the conditions a query uses, named by its text: each connection parses
 * and plans it once (the texts are few: one per combination of conditions, values are parameters).
 */
export const named = (text: string, values: unknown[]) => ({
  name: `cs-q-${createHash('sha1').update(text).digest('hex').slice(0, 20)}`,
  text,
  values,
});

/**
 * PostgreSQL text cannot hold NUL: it is stored as U+FFFD (so a needle with a NUL finds nothing
 * here, where SQLite would; no user types one). Lone surrogates become U+FFFD on the way (UTF-8).
 */
export const pgText = <T extends string | null | undefined>(s: T): T => (typeof s === 'string' ? s.replaceAll('\0', '\uFFFD') : s) as T;

/** A LIKE pattern for a literal substring (`\` is the default escape). */
export const containsPattern = (needle: string) => `%${pgText(needle).replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Listing both roots, an archived copy of an active file name is hidden (as in the scan and in
 * SQLite). `OFFSET 0` keeps the lookup a probe of the active rows' (home, key) index per archived
 * row: without it the planner may hash every active row of the table first (a full scan of 100,000
 * rows for a page of 25).
 */
export const NOT_SHADOWED =
  '(NOT s.archived OR NOT EXISTS (SELECT 1 FROM cs_index_files a WHERE a.home = s.home AND a.key = s.key AND NOT a.archived OFFSET 0))';

/** Which roots' sessions count (list and usage). */
export function rootsCondition(archived: IndexQuery['archived']): string {
  if (archived === 'false') return 'NOT s.archived';
  if (archived === 'true') return 's.archived';
  return NOT_SHADOWED;
}

/** The row's columns as StoredFile needs them; bigints as float8 (JavaScript numbers, as SQLite gives them). */
export const FILE_COLUMNS = [
  's.rel_path AS "relPath"', 's.key', 's.id', 's.archived', 's.dev', 's.ino', 's.size::float8 AS size',
  's.mtime_exact AS "mtimeExact"', 's.ctime_exact AS "ctimeExact"', 's.mtime_ms::float8 AS "mtimeMs"',
  's.has_user_message AS "hasUserMessage"', 's.is_session AS "isSession"', 's.fid::float8 AS fid',
  's.content_offset::float8 AS "contentOffset"', 's.content_line AS "contentLine"', 's.content_state AS "contentState"',
  's.content_size::float8 AS "contentSize"', 's.fingerprint',
].join(', ');

/** The conditions of a list page on the row `s`, besides its home and its cursor (the filters of q). */
export function listConditions(q: Omit<IndexQuery, 'after' | 'limit'>, p: Params): string[] {
  const where = ['s.is_session'];
  if (!q.includeEmpty) where.push('s.has_user_message');
  where.push(rootsCondition(q.archived));
  const f = q.filter;
  if (f.cwd) where.push(`s.cwd_norm = ANY(${p.add(f.cwd)}::text[])`);
  if (f.source) where.push(`s.source = ANY(${p.add(f.source)}::text[])`);
  if (f.provider) where.push(`s.model_provider = ANY(${p.add(f.provider)}::text[])`);
  const timeColumn = q.sort === 'created' ? 's.created_ms' : 's.mtime_ms';
  if (f.sinceMs !== undefined) where.push(`${timeColumn} >= ${p.add(f.sinceMs)}`);
  if (f.untilMs !== undefined) where.push(`${timeColumn} <= ${p.add(f.untilMs)}`);
  if (f.q !== undefined) {
    where.push(`(s.title_folded LIKE ${p.add(containsPattern(f.q))} OR s.id = ANY(${p.add(q.nameMatchIds)}::text[]))`);
  }
  return where;
}

/**
 * One page of `home` in list order after `q.after`: the same conditions and keyset order as
 * SQLite's listQuery (sqlite/list-query.ts), q matched against fold(title) with LIKE (trigram
 * index). `extra` adds conditions on `s` (search), written with the same Params.
 */
export function listQuery(q: IndexQuery, home: string, p: Params, extra: readonly string[] = []): string {
  const where = [`s.home = ${p.add(home)}`, ...listConditions(q, p), ...extra];
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const cmp = q.order === 'desc' ? '<' : '>';
  let orderBy: string;
  if (q.sort === 'created') {
    if (q.after) where.push(`s.key ${cmp} ${p.add(q.after.key)}`);
    orderBy = `s.key ${dir}`;
  } else {
    if (q.after) where.push(`(s.mtime_ms, s.key) ${cmp} (${p.add(q.after.mtimeMs)}, ${p.add(q.after.key)})`);
    orderBy = `s.mtime_ms ${dir}, s.key ${dir}`;
  }
  return `SELECT ${FILE_COLUMNS} FROM cs_index_files s WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ${p.add(q.limit)}`;
}
