import type Database from 'better-sqlite3';
import type { CountQuery } from '../store.js';
import { NO_CONDITION, type SqlCondition } from './list-query.js';
import { ftsQuery, indexable } from './search.js';

/**
 * The folded titles (sessions.title_folded) by trigrams, each under its file's number (fid), so
 * that `q=` finds the few sessions whose title may hold a needle without walking every key: a q
 * that no title holds (every Claude title and `q=linter`) walked all 65,531 keys of the Claude
 * index of the 100,000 mixed home (docs/performance.md). The trigrams only narrow: the key
 * walk's own test (`instr` on the folded title, list-query.ts) still decides, so the rule of q
 * is the one rule of fold.ts. FTS5's trigrams are case-insensitive on top of fold(): that only
 * widens what they let through.
 */
const TITLES_TABLE = 'titles_fts';
export const DROP_TITLES = `DROP TABLE IF EXISTS ${TITLES_TABLE};`;

export const TITLES_SCHEMA = `
  CREATE VIRTUAL TABLE IF NOT EXISTS ${TITLES_TABLE} USING fts5(title, content='', contentless_delete=1, tokenize='trigram');
`;

/**
 * Up to this many sessions whose title may hold the needle, a page is found from their rows
 * (each a seek of sessions_fid and a read of its row, then sorted); past it, by the key walk
 * of sessions_by_key, which a needle that many titles hold ends early.
 */
export const TITLE_CANDIDATES_MAX = 500;

/** Fills the title table of an index built before it existed (schema 15): its rows already hold the folded titles. */
export function fillTitles(db: Database.Database): void {
  db.exec(TITLES_SCHEMA);
  db.exec(`INSERT INTO ${TITLES_TABLE} (rowid, title) SELECT fid, title_folded FROM sessions WHERE title_folded IS NOT NULL`);
}

/** The SQLite side of `q=`: the title trigrams written beside each session row, and read to narrow a page. */
export class TitleStore {
  private readonly insertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly matchStmt: Database.Statement;
  private readonly namedStmt: Database.Statement;
  private readonly currentStmt: Database.Statement;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(`INSERT INTO ${TITLES_TABLE} (rowid, title) VALUES (?, ?)`);
    this.deleteStmt = db.prepare(`DELETE FROM ${TITLES_TABLE} WHERE rowid = ?`);
    this.matchStmt = db.prepare(`SELECT rowid FROM ${TITLES_TABLE} WHERE ${TITLES_TABLE} MATCH ? LIMIT ?`).pluck();
    this.currentStmt = db.prepare('SELECT title_folded FROM sessions WHERE home = ? AND rel_path = ?').pluck();
    this.namedStmt = db.prepare('SELECT fid FROM sessions WHERE home = ? AND id IN (SELECT value FROM json_each(?))').pluck();
  }

  /** The folded title the row of `relPath` holds now (undefined: no row). */
  current(home: string, relPath: string): string | null | undefined {
    return this.currentStmt.get(home, relPath) as string | null | undefined;
  }

  /** The title of file `fid` goes from `before` (`current`'s answer) to `folded`. */
  set(fid: number, folded: string | null, before: string | null | undefined): void {
    if (before === folded) return;
    if (before != null) this.deleteStmt.run(fid);
    if (folded !== null) this.insertStmt.run(fid, folded);
  }

  delete(fid: number): void {
    this.deleteStmt.run(fid);
  }

  /**
   * A condition on the session row `s` that every session of `home` matching the folded needle
   * `q` (or named in `nameMatchIds`) meets: its file is one the trigrams find, or one named. Null
   * when the trigrams cannot narrow (a needle of fewer than three characters) or find too many.
   */
  narrowing(q: string, nameMatchIds: readonly string[], home: string): SqlCondition | null {
    if (!indexable(q)) return null;
    const fids = this.matchStmt.all(ftsQuery([q]), TITLE_CANDIDATES_MAX + 1) as number[];
    if (nameMatchIds.length > 0) fids.push(...(this.namedStmt.all(home, JSON.stringify(nameMatchIds)) as number[]));
    if (fids.length > TITLE_CANDIDATES_MAX) return null;
    return { where: ['s.fid IN (SELECT value FROM json_each(?))'], params: [JSON.stringify(fids)] };
  }

  /** `extra` and, when the trigrams narrow the q of `q`, the files they find. */
  narrowed(q: CountQuery, home: string, extra: SqlCondition = NO_CONDITION): SqlCondition {
    const titles = q.filter.q === undefined ? null : this.narrowing(q.filter.q, q.nameMatchIds, home);
    return titles === null ? extra : { where: [...extra.where, ...titles.where], params: [...extra.params, ...titles.params] };
  }
}
