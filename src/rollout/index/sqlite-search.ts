import type Database from 'better-sqlite3';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { SearchRole } from '../search/extract.js';
import { SCOPE_ROLES, fold, type SearchQuery, type SearchScope } from '../search/match.js';
import type { SqlCondition } from './sqlite-store.js';

/**
 * Search documents are numbered `fid * 2^32 + line`: a file's documents form one rowid range,
 * so "does this session match" is a range-restricted full-text probe.
 */
export const LINE_SPAN = 2 ** 32;
export const docId = (fid: number, line: number) => fid * LINE_SPAN + line;

const ROLE_CODES: Record<SearchRole, number> = { user: 1, assistant: 2, tool: 3, reasoning: 4 };
const ROLES = Object.fromEntries(Object.entries(ROLE_CODES).map(([k, v]) => [v, k])) as Record<number, SearchRole>;
/** The full-text column of each role: a scope is a column filter. */
export const ROLE_COLUMN: Record<SearchRole, 'msg' | 'tool' | 'rsn'> = { user: 'msg', assistant: 'msg', tool: 'tool', reasoning: 'rsn' };

/** Needles shorter than a trigram cannot use the index: they are checked against the text. */
const indexable = (needle: string) => [...needle].length >= 3;

/**
 * Phrases of up to this many documents decide their sessions from the full list of hits; more
 * frequent ones are checked session by session in page order, which stops once the page is full.
 */
const FEW_HITS = 10_000;
/** Documents read back per statement. */
const DOC_CHUNK = 256;

/** An FTS5 query for any of `needles` (each a literal substring) in the columns of `scope`. */
function ftsQuery(scope: SearchScope, needles: readonly string[]): string {
  const columns = [...new Set(SCOPE_ROLES[scope].map((r) => ROLE_COLUMN[r]))];
  const terms = needles.map((n) => `"${n.replaceAll('"', '""')}"`).join(' OR ');
  return scope === 'all' ? terms : `{${columns.join(' ')}} : (${terms})`;
}

export function createSearchTables(): string {
  return `
    -- The text of each searchable record as shown in snippets (whitespace collapsed).
    CREATE TABLE IF NOT EXISTS search_docs (id INTEGER PRIMARY KEY, role INTEGER NOT NULL, kind TEXT NOT NULL, ts TEXT, text TEXT NOT NULL);
    -- Its folded text, indexed by trigrams (any substring of 3+ characters); no second copy of the text.
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(msg, tool, rsn, content='', contentless_delete=1, tokenize='trigram');
  `;
}

export function dropSearchTables(): string {
  return 'DROP TABLE IF EXISTS search_docs; DROP TABLE IF EXISTS search_fts;';
}

/** The SQLite side of search: writing a file's documents, and reading them back for matching. */
export class SearchStore {
  private readonly insertDoc: Database.Statement;
  private readonly insertFts: Database.Statement;
  private readonly deleteDocs: Database.Statement;
  private readonly deleteFts: Database.Statement;
  private readonly docsOf: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertDoc = db.prepare('INSERT INTO search_docs (id, role, kind, ts, text) VALUES (?, ?, ?, ?, ?)');
    this.insertFts = db.prepare('INSERT INTO search_fts (rowid, msg, tool, rsn) VALUES (?, ?, ?, ?)');
    this.deleteDocs = db.prepare('DELETE FROM search_docs WHERE id BETWEEN ? AND ?');
    this.deleteFts = db.prepare('DELETE FROM search_fts WHERE rowid BETWEEN ? AND ?');
    this.docsOf = db.prepare('SELECT id, role, kind, ts, text FROM search_docs WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?');
    this.hitsOf = db.prepare(
      'SELECT d.id, d.role, d.kind, d.ts, d.text FROM search_fts f JOIN search_docs d ON d.id = f.rowid ' +
        'WHERE search_fts MATCH ? AND f.rowid BETWEEN ? AND ? ORDER BY f.rowid LIMIT ?',
    );
    this.probe = db.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT ?').pluck();
  }

  private readonly hitsOf: Database.Statement;
  private readonly probe: Database.Statement;

  /**
   * Conditions on the session row `s` that every session matching `search` meets: for each
   * needle the index can look up, the session has a document holding it in scope. A needle with
   * few hits becomes the list of their files; a frequent one a per-session probe of its range.
   */
  candidateCondition(search: SearchQuery): SqlCondition {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const needle of search.needles.filter(indexable)) {
      const query = ftsQuery(search.scope, [needle]);
      const hits = this.probe.all(query, FEW_HITS + 1) as number[];
      if (hits.length <= FEW_HITS) {
        where.push('s.fid IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify([...new Set(hits.map((id) => Math.floor(id / LINE_SPAN)))]));
      } else {
        const range = `rowid BETWEEN s.fid * ${LINE_SPAN} AND s.fid * ${LINE_SPAN} + ${LINE_SPAN - 1}`;
        where.push(`EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH ? AND ${range})`);
        params.push(query);
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
    const query = search.needles.every(indexable) ? ftsQuery(search.scope, search.needles) : null;
    // In chunks, each statement run to its end: no statement stays open while the caller works,
    // and a session's documents are never all in memory at once.
    for (let from = docId(fid, fromLine); ; ) {
      const rows = (query === null ? this.docsOf.all(from, last, DOC_CHUNK) : this.hitsOf.all(query, from, last, DOC_CHUNK)) as DocRow[];
      for (const row of rows) {
        yield { line: row.id - fid * LINE_SPAN, timestamp: row.ts, role: ROLES[row.role] as SearchRole, kind: row.kind, text: row.text };
      }
      if (rows.length < DOC_CHUNK) return;
      from = (rows[rows.length - 1] as DocRow).id + 1;
    }
  }

  /** Adds documents of one file (call inside a transaction). */
  add(fid: number, docs: readonly LocatedDoc[]): void {
    for (const doc of docs) {
      const id = docId(fid, doc.line);
      this.insertDoc.run(id, ROLE_CODES[doc.role], doc.kind, doc.timestamp, doc.text);
      const column = ROLE_COLUMN[doc.role];
      const folded = fold(doc.text);
      this.insertFts.run(id, column === 'msg' ? folded : '', column === 'tool' ? folded : '', column === 'rsn' ? folded : '');
    }
  }

  /** Drops every document of a file (it is read again, or it is gone). */
  deleteFile(fid: number): void {
    this.deleteDocs.run(docId(fid, 0), docId(fid + 1, 0) - 1);
    this.deleteFts.run(docId(fid, 0), docId(fid + 1, 0) - 1);
  }
}

interface DocRow {
  id: number;
  role: number;
  kind: string;
  ts: string | null;
  text: string;
}
