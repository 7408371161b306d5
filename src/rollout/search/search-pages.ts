import type { AgentName } from '../sources/registry.js';
import { stat } from 'node:fs/promises';
import { stampOf, type FileStamp } from '../files/file-stamp.js';
import { rethrowIfNotTheFile, RolloutError, RolloutErrorKind } from '../errors.js';
import { decodePosition } from '../listing/cursor.js';
import { parseFilter, type SessionFilter } from '../listing/filters.js';
import { qualifies } from '../listing/list-items.js';
import { collectPage, type Evaluate, type PageShape } from '../listing/page-loop.js';
import { pageFromIndexOrScan, type IndexCandidates, type PageDeps } from '../listing/list-page.js';
import type { ReadEnv } from '../reading/session-reader.js';
import type { ArchivedFilter, FilterInput, RolloutFile, RolloutLogger, SessionSummary, SortField, SortOrder } from '../types.js';
import { fileDocs } from './file-docs.js';
import { SCOPE_ROLES, parseSearchQuery, type MatchMode, type SearchQuery, type SearchScope } from './match.js';
import type { SearchIndex } from './search-index.js';
import { SessionMatcher, matchIn, type LocatedDoc, type SearchMatch } from './session-matcher.js';
import type { SearchWork } from './search-work.js';

export interface SearchRequest extends Omit<FilterInput, 'q'> {
  q?: string | undefined;
  match: MatchMode;
  scope: SearchScope;
  /** Snippets per session. */
  matches: number;
  limit: number;
  cursor?: string | undefined;
  sort?: SortField | undefined;
  order: SortOrder;
  archived: ArchivedFilter;
  includeEmpty: boolean;
}

export interface SearchItem extends SessionSummary {
  /** Matching records in the session. */
  matchCount: number;
  matches: SearchMatch[];
}

export interface SearchPage {
  items: SearchItem[];
  nextCursor: string | null;
  reachedScanCap: boolean;
}

export interface SessionSearchRequest {
  q?: string | undefined;
  match: MatchMode;
  scope: SearchScope;
  limit: number;
  cursor?: string | undefined;
}

/** What searching needs of the repository. */
export interface SearchDeps extends PageDeps {
  index: SearchIndex | null;
  /** What a read of a file needs (the home's real path, the limits, the memory budget). */
  env: ReadEnv;
  /** A file's stamp now, null when it is gone (default: stat on the disk; team mode: what cs_files holds). */
  stampOf?: (file: RolloutFile) => Promise<FileStamp | null>;
  /** The agent whose files these are (default Codex): how a file's text is extracted. */
  agent?: AgentName;
}

interface SearchPlan extends PageShape {
  query: SearchQuery;
  keep: number;
  includeEmpty: boolean;
  filter: SessionFilter;
  names: ReadonlyMap<string, string>;
  log: RolloutLogger;
}


/** The documents of a file: from the index when it holds the file as stamped, else from the file itself. */
async function documents(deps: SearchDeps, file: RolloutFile, stamp: FileStamp | null, query: SearchQuery, work: SearchWork, fromLine = 0) {
  const indexed = stamp !== null && deps.index?.usable ? await deps.index.searchDocuments(file, stamp, query, fromLine) : null;
  return indexed ?? fileDocs(file, deps.env, work, deps.agent);
}

function evaluator(deps: SearchDeps, plan: SearchPlan, work: SearchWork): Evaluate<SearchItem> {
  return async (candidate) => {
    // A spent budget ends the page before this session (reachedScanCap), unless it is the page's first.
    const first = work.startSession();
    if (!first && work.exhausted) return 'exhausted';
    const result = await deps.readListing(candidate.file, 0, 0, plan.log);
    if (result === null) return null;
    const { read } = result;
    if (read === null || !qualifies(plan, candidate, read.summary, read.hasUserMessage)) return { stat: result.stat, item: null };
    const matcher = new SessionMatcher(plan.query, plan.keep);
    try {
      for await (const doc of await documents(deps, candidate.file, stampOf(result.stat), plan.query, work)) {
        if (!first && work.exhausted) return 'exhausted';
        work.charge(doc.text.length);
        matcher.add(doc);
      }
    } catch (err) {
      if (err instanceof RolloutError) throw err; // the client went away, or a full budget
      rethrowIfNotTheFile(err, `cannot read ${candidate.file.relPath}`);
      plan.log.debug({ path: candidate.file.relPath, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable file');
      return null;
    }
    if (!matcher.qualifies) return { stat: result.stat, item: null };
    const name = plan.names.get(read.summary.id) || read.summary.name || null;
    return { stat: result.stat, item: { ...read.summary, name, matchCount: matcher.matchCount, matches: matcher.matches } };
  };
}

/**
 * One page of the sessions whose text holds the query, in list order. From the index once it
 * is complete (it proposes sessions, every one is checked against its documents); until then
 * by reading the files, within the scan cap. Both decide with the same SessionMatcher.
 */
export async function searchPage(
  deps: SearchDeps,
  request: SearchRequest,
  names: ReadonlyMap<string, string>,
  log: RolloutLogger,
  work: SearchWork,
): Promise<SearchPage> {
  const query = parseSearchQuery(request.q, request.match, request.scope);
  const sort = request.sort ?? 'created';
  const filter = parseFilter({ ...request, q: undefined });
  const after = request.cursor === undefined ? undefined : decodePosition(request.cursor, sort, request.order);
  const plan: SearchPlan = { ...request, sort, after, query, keep: request.matches, filter, names, log };
  const evaluate = evaluator(deps, plan, work);
  const { index } = deps;
  const fromIndex: IndexCandidates | null =
    index === null
      ? null
      : async () => {
          const q = { ...request, sort, filter, nameMatchIds: [], after, limit: request.limit + 1 };
          const source = await index.searchCandidates(q, query);
          return source === null ? null : { ...source, maxExamined: deps.maxScanFiles };
        };
  const shape = { ...plan, archived: request.archived };
  return pageFromIndexOrScan(deps, shape, fromIndex, (source) => collectPage(plan, source, evaluate), log);
}

/** `after:<line>`: the last record a page of one session's matches returned. */
function decodeLineCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const m = /^after:(\d{1,10})$/.exec(cursor);
  if (m === null) throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor must be after:<line>, as returned in nextCursor');
  return Number(m[1]);
}

/** The matching records of one session, in file order, a page at a time. */
export async function searchSession(
  deps: SearchDeps,
  file: RolloutFile,
  request: SessionSearchRequest,
  work: SearchWork,
): Promise<{ matches: SearchMatch[]; nextCursor: string | null }> {
  const query = parseSearchQuery(request.q, request.match, request.scope);
  const afterLine = decodeLineCursor(request.cursor);
  const roles = new Set(SCOPE_ROLES[query.scope]);
  const matches: SearchMatch[] = [];
  const stamp = deps.stampOf ? await deps.stampOf(file) : await stat(file.absPath).then(stampOf, () => null);
  if (stamp === null) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
  const docs: AsyncIterable<LocatedDoc> | Iterable<LocatedDoc> = await documents(deps, file, stamp, query, work, afterLine + 1);
  let examined = 0;
  for await (const doc of docs) {
    if (doc.line <= afterLine) continue;
    // A spent budget ends the page after the last record examined (at least one): the cursor goes on from there.
    if (examined > 0 && work.exhausted) return { matches, nextCursor: `after:${doc.line - 1}` };
    examined += 1;
    work.charge(doc.text.length);
    const match = matchIn(doc, query, roles);
    if (match === null) continue;
    if (matches.length === request.limit) {
      const last = matches[matches.length - 1];
      return { matches, nextCursor: `after:${last === undefined ? afterLine : last.line}` };
    }
    matches.push(match());
  }
  return { matches, nextCursor: null };
}
