import type Database from 'better-sqlite3';
import type { LocatedDoc } from '../../search/session-matcher.js';
import type { SearchRole } from '../../sources/common/search-doc.js';
import { SCOPE_ROLES, fold, type SearchQuery, type SearchScope } from '../../search/match.js';
import type { SqlCondition } from './list-query.js';

/**
 * Search documents are numbered `fid * 2^32 + line`: a file's documents form one rowid range,
 * so "does this session match" is a range-restricted full-text probe.
 */
export const LINE_SPAN = 2 ** 32;
export const docId = (fid: number, line: number) => fid * LINE_SPAN + line;

const ROLE_CODES: Record<SearchRole, number> = { user: 1, assistant: 2, tool: 3, reasoning: 4 };
const ROLES = Object.fromEntries(Object.entries(ROLE_CODES).map(([k, v]) => [v, k])) as Record<number, SearchRole>;

/**
 * One trigram table per kind of text: messages are a small part of what sessions hold (tool
 * outputs are most of it), and a search of the default scope reads only their doclists.
 */
const FTS_TABLES = { msg: 'search_fts_msg', tool: 'search_fts_tool', rsn: 'search_fts_rsn' } as const;
type FtsTable = (typeof FTS_TABLES)[keyof typeof FTS_TABLES];
const ROLE_TABLE: Record<SearchRole, FtsTable> = {
  user: FTS_TABLES.msg,
  assistant: FTS_TABLES.msg,
  tool: FTS_TABLES.tool,
  reasoning: FTS_TABLES.rsn,
};
const scopeTables = (scope: SearchScope): FtsTable[] => [...new Set(SCOPE_ROLES[scope].map((r) => ROLE_TABLE[r]))];

/**
 * A rowid range from two bound numbers. better-sqlite3 binds JavaScript numbers as REAL, and
 * FTS5 only narrows its doclists to a range of INTEGER bounds: without the casts a range probe
 * reads every hit in the table.
 */
const RANGE = 'BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)';
/** The rowid range of the session row `s`. */
const SESSION_RANGE = `BETWEEN s.fid * ${LINE_SPAN} AND s.fid * ${LINE_SPAN} + ${LINE_SPAN - 1}`;

/**
 * Needles shorter than a trigram cannot use the index, nor can a NUL (it ends an FTS5 string):
 * they are checked against the text.
 */
export const indexable = (needle: string) => [...needle].length >= 3 && !needle.includes('\0');

/**
 * How a needle narrows the sessions: from the list of all its hits (their files), or by probing
 * each session's range in page order until the page is full. A probe of the first PROBE_HITS hits
 * (in file-number order, which is spread over the whole tree) estimates both costs.
 */
const PROBE_HITS = 2000;
/** Rough costs on the reference machine: reading one hit from a doclist, and one range probe. */
const COST_PER_HIT_MS = 0.0005;
const COST_PER_PROBE_MS = 0.3;

/** True when probing sessions one by one is cheaper than collecting every hit of the needle. */
function probeSessionByMatch(firstHits: readonly number[], files: number, pageSize: number): boolean {
  const fids = new Set(firstHits.map((id) => Math.floor(id / LINE_SPAN)));
  const lastFid = Math.max(1, ...fids);
  const share = fids.size / lastFid; // of the files, how many hold the needle
  const estimatedHits = (firstHits.length * Math.max(files, lastFid)) / lastFid;
  return (pageSize / share) * COST_PER_PROBE_MS < estimatedHits * COST_PER_HIT_MS;
}

/** Documents read back per statement. */
const DOC_CHUNK = 256;

/** An FTS5 query for any of `needles` (each a literal substring). */
export const ftsQuery = (needles: readonly string[]) => needles.map((n) => `"${n.replaceAll('"', '""')}"`).join(' OR ');

export function createSearchTables(): string {
  return `
    -- The text of each searchable record as shown in snippets (whitespace collapsed).
    CREATE TABLE IF NOT EXISTS search_docs (id INTEGER PRIMARY KEY, role INTEGER NOT NULL, kind TEXT NOT NULL, ts TEXT, text TEXT NOT NULL);
    -- Its folded text, indexed by trigrams (any substring of 3+ characters); no second copy of the text.
    ${Object.values(FTS_TABLES)
      .map((t) => `CREATE VIRTUAL TABLE IF NOT EXISTS ${t} USING fts5(text, content='', contentless_delete=1, tokenize='trigram');`)
      .join('\n    ')}
  `;
}

export function dropSearchTables(): string {
  return ['search_docs', ...Object.values(FTS_TABLES)].map((t) => `DROP TABLE IF EXISTS ${t};`).join(' ');
}

/** The SQLite side of search: writing a file's documents, and reading them back for matching. */
export class SearchStore {
  private readonly insertDoc: Database.Statement;
  private readonly insertFts: Record<FtsTable, Database.Statement>;
  private readonly deleteDocs: Database.Statement;
  private readonly anyDoc: Database.Statement;
  private readonly deleteFts: Database.Statement[];
  private readonly docsOf: Database.Statement;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.insertDoc = db.prepare('INSERT INTO search_docs (id, role, kind, ts, text) VALUES (?, ?, ?, ?, ?)');
    const tables = Object.values(FTS_TABLES);
    this.insertFts = Object.fromEntries(tables.map((t) => [t, db.prepare(`INSERT INTO ${t} (rowid, text) VALUES (?, ?)`)])) as Record<
      FtsTable,
      Database.Statement
    >;
    this.deleteDocs = db.prepare(`DELETE FROM search_docs WHERE id ${RANGE}`);
    this.anyDoc = db.prepare(`SELECT 1 FROM search_docs WHERE id ${RANGE} LIMIT 1`);
    this.deleteFts = tables.map((t) => db.prepare(`DELETE FROM ${t} WHERE rowid ${RANGE}`));
    this.docsOf = db.prepare(`SELECT id, role, kind, ts, text FROM search_docs WHERE id ${RANGE} ORDER BY id LIMIT ?`);
  }

  /** A statement prepared once per distinct SQL text (the scopes' table sets are few). */
  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) this.statements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  /**
   * Runs `write` (a transaction's statements) with this store's trigram writes held back to its
   * end, in their order. FTS5 writes the terms it holds in memory out as a new segment at every
   * statement savepoint, and the usage rows' INSERT OR REPLACE (and the owners' UPDATEs) open
   * one: interleaved, each file's few documents became a segment of their own, written and then
   * merged (docs/performance.md, "Indexing Claude files"). Nothing reads the trigram tables
   * inside a write.
   */
  batched<T>(write: () => T): T {
    this.held = [];
    try {
      const result = write();
      for (const run of this.held) run();
      return result;
    } finally {
      this.held = null;
    }
  }

  /**
   * The held trigram writes. Each folds its text when it runs, not when it is held: the write's
   * operations keep the documents anyway, and a folded copy of a large file's documents held to
   * the end of the transaction raised the build's peak RSS (docs/performance.md).
   */
  private held: (() => void)[] | null = null;

  /** Runs a trigram write (this store's or another trigram table's) now, or held to the end of `batched`. */
  fts(run: () => void): void {
    if (this.held === null) run();
    else this.held.push(run);
  }

  /** Adds documents of one file (call inside a transaction). */
  add(fid: number, docs: readonly LocatedDoc[]): void {
    for (const doc of docs) {
      const id = docId(fid, doc.line);
      this.insertDoc.run(id, ROLE_CODES[doc.role], doc.kind, doc.timestamp, doc.text);
      const insert = this.insertFts[ROLE_TABLE[doc.role]];
      this.fts(() => insert.run(id, fold(doc.text)));
    }
  }

  /** Drops every document of a file (it is read again, or it is gone). */
  deleteFile(fid: number): void {
    const range = [docId(fid, 0), docId(fid + 1, 0) - 1];
    // Every trigram row has its search_docs row (add). A file read for the first time has none,
    // and a DELETE on a trigram table is a read of it: FTS5 first writes the terms it holds out
    // as a segment of their own, one per file in a first build (see batched).
    if (this.anyDoc.get(...range) === undefined) return;
    this.deleteDocs.run(...range);
    for (const stmt of this.deleteFts) this.fts(() => stmt.run(...range));
  }

  /**
   * Conditions on the session row `s` that every session matching `search` meets: for each
   * needle the index can look up, the session has a document holding it in scope. A needle with
   * few hits becomes the list of their files; a frequent one a per-session probe of its range.
   */
  candidateCondition(search: SearchQuery, pageSize: number): SqlCondition {
    const where: string[] = [];
    const params: unknown[] = [];
    const tables = scopeTables(search.scope);
    const files = (this.statement('SELECT max(fid) FROM sessions').pluck().get() as number | null) ?? 0;
    for (const needle of search.needles.filter(indexable)) {
      const query = ftsQuery([needle]);
      const union = tables.map((t) => `SELECT rowid FROM ${t} WHERE ${t} MATCH ?`).join(' UNION ALL ');
      const all = (limit: number) => this.statement(`${union} LIMIT ?`).pluck().all(...tables.map(() => query), limit) as number[];
      let hits = all(PROBE_HITS + 1);
      if (hits.length > PROBE_HITS && !probeSessionByMatch(hits, files, pageSize)) hits = all(-1);
      if (hits.length <= PROBE_HITS || !probeSessionByMatch(hits, files, pageSize)) {
        where.push('s.fid IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify([...new Set(hits.map((id) => Math.floor(id / LINE_SPAN)))]));
      } else {
        where.push(`(${tables.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE ${t} MATCH ? AND rowid ${SESSION_RANGE})`).join(' OR ')})`);
        params.push(...tables.map(() => query));
      }
    }
    return { where, params };
  }

  /**
   * The documents of a file that may match `search`, from line `fromLine` on, in file order:
   * those the index finds when every needle is long enough, else all of them (the caller checks each).
   */
  *candidates(fid: number, search: SearchQuery, fromLine = 0): Generator<LocatedDoc> {
    const last = docId(fid + 1, 0) - 1;
    const tables = scopeTables(search.scope);
    const query = search.needles.every(indexable) ? ftsQuery(search.needles) : null;
    const hits =
      query === null
        ? null
        : this.statement(
            `SELECT id, role, kind, ts, text FROM search_docs WHERE id IN (${tables
              .map((t) => `SELECT rowid FROM ${t} WHERE ${t} MATCH ? AND rowid ${RANGE}`)
              .join(' UNION ALL ')}) ORDER BY id LIMIT ?`,
          );
    // In chunks, each statement run to its end: no statement stays open while the caller works,
    // and a session's documents are never all in memory at once.
    for (let from = docId(fid, fromLine); ; ) {
      const rows = (
        hits === null ? this.docsOf.all(from, last, DOC_CHUNK) : hits.all(...tables.flatMap(() => [query, from, last]), DOC_CHUNK)
      ) as DocRow[];
      for (const row of rows) {
        yield { line: row.id - fid * LINE_SPAN, timestamp: row.ts, role: ROLES[row.role] as SearchRole, kind: row.kind, text: row.text };
      }
      if (rows.length < DOC_CHUNK) return;
      from = (rows[rows.length - 1] as DocRow).id + 1;
    }
  }
}

interface DocRow {
  id: number;
  role: number;
  kind: string;
  ts: string | null;
  text: string;
}
