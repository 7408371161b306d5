import type pg from 'pg';
import type { SearchRole } from '../../sources/common/search-doc.js';
import { fold } from '../../fold.js';
import { SCOPE_ROLES, type SearchQuery } from '../../search/match.js';
import type { LocatedDoc } from '../../search/session-matcher.js';
import type { SearchFilter } from '../store.js';
import { containsPattern, pgText, type Params } from './sql.js';

const ROLE_CODES: Record<SearchRole, number> = { user: 1, assistant: 2, tool: 3, reasoning: 4 };
const ROLES = Object.fromEntries(Object.entries(ROLE_CODES).map(([k, v]) => [v, k])) as Record<number, SearchRole>;

/** Documents read back per statement: a session's documents are never all in one result. */
export const DOC_CHUNK = 256;

/** The role codes of a search's scope. */
export const scopeCodes = (search: SearchQuery): number[] => SCOPE_ROLES[search.scope].map((r) => ROLE_CODES[r]);

/** What narrows a search page: per needle the trigram index can serve, its LIKE pattern; the scope's roles. */
export interface PgSearchFilter extends SearchFilter {
  backend: 'postgres';
  patterns: string[];
  roles: number[];
}

/**
 * Needles shorter than a trigram cannot use the GIN index (a LIKE would read every document):
 * they narrow nothing here, and the caller checks each document (as with SQLite's FTS5).
 */
const indexable = (needle: string) => [...needle].length >= 3;

export function searchFilter(search: SearchQuery): PgSearchFilter {
  return {
    backend: 'postgres',
    patterns: search.needles.filter(indexable).map(containsPattern),
    roles: SCOPE_ROLES[search.scope].map((r) => ROLE_CODES[r]),
  };
}

/** A needle found in more documents than this is not listed by file but probed (SQLite's PROBE_HITS). */
export const PROBE_HITS = 2000;
/** Files among those first hits from which a probe of each session in page order finds a page sooner than reading every hit. */
export const PROBE_SPREAD = 200;

/**
 * How a needle narrows the candidates: the files holding it (few hits), a probe of each session's
 * documents in page order (hits in many files: a page is found after a few probes), or the
 * planner's choice (many hits in few files).
 */
export type NeedleChoice = { fids: number[] } | 'probe' | 'planner';

/**
 * Decides each needle's NeedleChoice from its first PROBE_HITS + 1 documents (one statement each,
 * planned with the needle: the trigram index for a rare one, a short scan for a common one), as
 * SQLite's search decides between its hits and a probe per session. Left to the planner, a needle
 * in every session read all its hits (every session's) to fill a page of 25.
 */
export async function needleChoices(pool: pg.Pool, filter: PgSearchFilter): Promise<NeedleChoice[]> {
  return Promise.all(
    filter.patterns.map(async (pattern): Promise<NeedleChoice> => {
      const { rows } = await pool.query<{ fid: number }>(
        'SELECT d.fid::float8 AS fid FROM cs_index_docs d WHERE d.folded LIKE $1 AND d.role = ANY($2::int2[]) LIMIT $3',
        [pattern, filter.roles, PROBE_HITS + 1],
      );
      const fids = [...new Set(rows.map((r) => r.fid))];
      if (rows.length <= PROBE_HITS) return { fids };
      return fids.length >= PROBE_SPREAD ? 'probe' : 'planner';
    }),
  );
}

/**
 * Conditions on the session row `s`: for each pattern, the session has a document in scope
 * holding it. Without `choices`, the planner chooses between the trigram index (rare needles) and
 * a probe of each session's documents in page order (frequent ones), from its statistics; with
 * them, each needle as chosen (`OFFSET 0` keeps a probe per session: never turned into a join).
 */
export function searchConditions(filter: PgSearchFilter, p: Params, choices?: readonly NeedleChoice[]): string[] {
  if (filter.patterns.length === 0) return [];
  let added: string | undefined;
  // Added once, and only when a condition reads it (a parameter no condition uses has no type).
  const roles = () => (added ??= p.add(filter.roles));
  return filter.patterns.map((pattern, i) => {
    const choice = choices?.[i] ?? 'planner';
    if (choice === 'planner') {
      return `s.fid IN (SELECT d.fid FROM cs_index_docs d WHERE d.folded LIKE ${p.add(pattern)} AND d.role = ANY(${roles()}::int2[]))`;
    }
    if (choice === 'probe') {
      return (
        `EXISTS (SELECT 1 FROM cs_index_docs d WHERE d.fid = s.fid AND d.folded LIKE ${p.add(pattern)} ` +
        `AND d.role = ANY(${roles()}::int2[]) OFFSET 0)`
      );
    }
    return `s.fid = ANY(${p.add(choice.fids)}::bigint[])`;
  });
}

/**
 * Adds documents of files (inside the write's transaction) in one statement, text folded here by
 * fold(); a line given twice keeps its last document (as one statement per file did).
 */
export async function addDocsOf(client: pg.ClientBase, files: readonly { fid: number; docs: readonly LocatedDoc[] }[]): Promise<void> {
  const byLine = new Map<string, { fid: number; doc: LocatedDoc }>();
  for (const { fid, docs } of files) for (const doc of docs) byLine.set(`${fid}:${doc.line}`, { fid, doc });
  if (byLine.size === 0) return;
  const all = [...byLine.values()];
  await client.query({
    name: 'cs-index-add-docs-of',
    text:
      'INSERT INTO cs_index_docs (fid, line, role, kind, ts, text, folded) ' +
      'SELECT * FROM unnest($1::bigint[], $2::int[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::text[]) ' +
      'ON CONFLICT (fid, line) DO UPDATE SET role = excluded.role, kind = excluded.kind, ts = excluded.ts, ' +
      'text = excluded.text, folded = excluded.folded',
    values: [
      all.map((d) => d.fid),
      all.map(({ doc }) => doc.line),
      all.map(({ doc }) => ROLE_CODES[doc.role]),
      all.map(({ doc }) => pgText(doc.kind)),
      all.map(({ doc }) => pgText(doc.timestamp)),
      all.map(({ doc }) => pgText(doc.text)),
      all.map(({ doc }) => pgText(fold(doc.text))),
    ],
  });
}

/**
 * The documents of file `fid` in scope that hold any needle (LIKE is exact on folded text, so
 * this is the matches and a few more in words mode), from line `fromLine` on, in file order.
 */
export async function documentsOf(pool: pg.Pool, fid: number, search: SearchQuery, fromLine: number): Promise<LocatedDoc[]> {
  const roles = scopeCodes(search);
  const patterns = search.needles.map(containsPattern);
  const out: LocatedDoc[] = [];
  for (let from = fromLine; ; ) {
    const { rows } = await pool.query<DocRow>({
      name: 'cs-index-documents',
      text:
        'SELECT line, role, kind, ts, text FROM cs_index_docs WHERE fid = $1 AND line >= $2 AND role = ANY($3::int2[]) ' +
        'AND folded LIKE ANY($4::text[]) ORDER BY line LIMIT $5',
      values: [fid, from, roles, patterns, DOC_CHUNK],
    });
    for (const r of rows) out.push(docOf(r));
    if (rows.length < DOC_CHUNK) return out;
    from = rows[rows.length - 1]!.line + 1;
  }
}

export const docOf = (r: DocRow): LocatedDoc => ({
  line: r.line,
  timestamp: r.ts,
  role: ROLES[r.role] as SearchRole,
  kind: r.kind,
  text: r.text,
});

export interface DocRow {
  line: number;
  role: number;
  kind: string;
  ts: string | null;
  text: string;
}
