import type { LocatedDoc, SearchRole } from '../sources/common/search-doc.js';

export type { LocatedDoc };
import { SCOPE_ROLES, findHits, needlesIn, snippetOf, type Range, type SearchQuery } from './match.js';

export interface SearchMatch {
  /** 1-based line number of the record in the file. */
  line: number;
  timestamp: string | null;
  role: SearchRole;
  kind: string;
  snippet: string;
  ranges: Range[];
}

/** The match of one record (its snippet made on demand), or null when the record does not match. */
export function matchIn(doc: LocatedDoc, query: SearchQuery, roles: ReadonlySet<SearchRole>): (() => SearchMatch) | null {
  if (!roles.has(doc.role)) return null;
  const hits = findHits(doc.text, query.needles);
  if (hits.length === 0) return null;
  return () => ({ line: doc.line, timestamp: doc.timestamp, role: doc.role, kind: doc.kind, ...snippetOf(doc.text, hits) });
}

/**
 * Decides whether one session matches a query, record by record in file order, and keeps the
 * first `keep` matching records as snippets. The index and the scan both end here, so they
 * give the same answers.
 */
export class SessionMatcher {
  private readonly roles: ReadonlySet<SearchRole>;
  private readonly found = new Set<string>();
  matchCount = 0;
  readonly matches: SearchMatch[] = [];

  constructor(
    private readonly query: SearchQuery,
    private readonly keep: number,
  ) {
    this.roles = new Set(SCOPE_ROLES[query.scope]);
  }

  /** Looks at one record; true when it matches (its snippet is kept while fewer than `keep` are). */
  add(doc: LocatedDoc): boolean {
    const match = matchIn(doc, this.query, this.roles);
    if (match === null) return false;
    if (this.query.mode === 'words') for (const n of needlesIn(doc.text, this.query.needles)) this.found.add(n);
    this.matchCount += 1;
    if (this.matches.length < this.keep) this.matches.push(match());
    return true;
  }

  /** A phrase matches with one matching record; words when each word occurs somewhere in scope. */
  get qualifies(): boolean {
    if (this.matchCount === 0) return false;
    return this.query.mode === 'phrase' || this.found.size === this.query.needles.length;
  }
}
