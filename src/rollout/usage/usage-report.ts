import { rethrowIfNotTheFile, RolloutError, RolloutErrorKind } from '../errors.js';
import { normalizeCwd, parseFilter, type SessionFilter } from '../listing/filters.js';
import { timeBounds } from '../listing/time-bounds.js';
import { fileContentLines } from '../sources/codex/content-lines.js';
import type { SessionWalker } from '../sources/source.js';
import type { ReadListing } from '../listing/list-items.js';
import type { ReadEnv } from '../reading/session-reader.js';
import type { ArchivedFilter, RolloutFile, RolloutLogger } from '../types.js';
import type { UsageResponse } from '../sources/common/usage-response.js';
import { codex } from '../sources/registry.js';
import {
  checkTimeZone,
  groupUsage,
  isTimeGroup,
  passesSelectors,
  sortUsageRows,
  type GroupBy,
  type GroupedUsage,
  type SessionFacts,
} from './grouping.js';
import { countedResponses, type FileResponses } from './ownership.js';
import type { PriceBook } from './pricing.js';
import { ModelTally } from './tally.js';
import { bucketLabel, offsetIntervals } from './time-buckets.js';
import { FILES_AT_ONCE, RETRY_AFTER_S } from '../tuning.js';
import type { UsageIndex } from './usage-index.js';
import type { AgentName } from '../sources/source.js';
import { countedClaudeResponses, readClaudeResponses } from './claude-usage.js';
import { sumByModel } from './priced-sums.js';
import { abandoned } from '../search/search-work.js';
import type { ClaudeResponse } from '../sources/common/usage-response.js';

export interface UsageRequest {
  groupBy: GroupBy;
  tz: string;
  since?: string | undefined;
  until?: string | undefined;
  cwd?: string[] | undefined;
  source?: string[] | undefined;
  provider?: string[] | undefined;
  archived: ArchivedFilter;
  /** Rows at most; the rest is counted in rowsOmitted (the totals cover everything). */
  limit: number;
}

/** GET /usage as the API takes it: team mode adds `machine` filters and groups (a repository over one home refuses them). */
export interface UsageQuery extends Omit<UsageRequest, 'groupBy'> {
  /** `agent`: one row per agent (a source's repository answers one, multi-repository.ts merges them). */
  groupBy: GroupBy | 'machine' | 'agent';
  machine?: string[] | undefined;
  /** The agents whose usage is wanted (multi-repository.ts; one source's repository ignores it). */
  agent?: ('codex' | 'claude')[] | undefined;
}

export interface UsageReport extends GroupedUsage {
  /** What was asked: team mode answers `machine` groups too. */
  groupBy: GroupBy | 'machine' | 'agent';
  tz: string;
  rowsOmitted: number;
  pricing: { asOf: string; source: string };
}

/** What the report needs of the repository: what a search needs, and the prices. */
/** What a usage report needs of the repository. */
export interface UsageDeps {
  walker: SessionWalker;
  index: UsageIndex | null;
  readListing: ReadListing;
  /** What a read of a file needs (the home's real path, the limits, the memory budget). */
  env: ReadEnv;
  /** Files a scan may read (more: 503 until the index is complete). */
  maxScanFiles: number;
  prices: PriceBook;
  log: RolloutLogger;
  /** The agent whose sessions these are (default Codex): how a file is counted. */
  agent?: AgentName;
}

interface Scope {
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  filter: SessionFilter;
}

function scopeOf(request: UsageRequest): Scope {
  // Usage's bounds are on each response's time, in the report's time zone.
  const { sinceMs, untilMs } = timeBounds(request.since, request.until, request.tz);
  return { sinceMs, untilMs, filter: parseFilter({ cwd: request.cwd, source: request.source, provider: request.provider }) };
}

/**
 * `GET /usage`: the counted usage (rules 1-7) of the sessions that pass the filters, in groups.
 * From the index (summed in SQL) once it is complete; before, or without one, by reading the
 * files, as long as there are at most --max-scan-files of them (while the index builds, at most
 * BUILDING_SCAN_FILES); more: 503 with the build's progress and Retry-After, until it is built.
 */
export async function usageReport(
  deps: UsageDeps,
  query: UsageRequest | (Omit<UsageRequest, 'groupBy'> & { groupBy: 'agent' }),
  signal?: AbortSignal,
): Promise<UsageReport> {
  checkTimeZone(query.tz);
  const agent = deps.agent ?? 'codex';
  // One row for the agent: its sessions are those of its providers' rows (a session has one provider).
  const request: UsageRequest = query.groupBy === 'agent' ? { ...query, groupBy: 'provider', limit: Number.MAX_SAFE_INTEGER } : query;
  const scope = scopeOf(request);
  let grouped = deps.index?.usable ? await fromIndex(deps.index, request, scope, deps.prices) : null;
  // An index dropped meanwhile (found corrupt) answered with what it could: read the files instead.
  if (grouped === null || !deps.index?.usable) grouped = await fromFiles(deps, request, scope, signal);
  if (query.groupBy === 'agent') grouped = { ...grouped, rows: asOneRow(grouped, agent) };
  return {
    groupBy: query.groupBy,
    tz: query.tz,
    ...grouped,
    rows: grouped.rows.slice(0, query.limit),
    rowsOmitted: Math.max(0, grouped.rows.length - query.limit),
    pricing: deps.prices.pricingOf([agent]),
  };
}

/** The rows of a report as one row keyed by the agent (none when it has no usage). */
function asOneRow(grouped: GroupedUsage, agent: AgentName): GroupedUsage['rows'] {
  if (grouped.rows.length === 0) return [];
  const sessions = grouped.rows.reduce((n, r) => n + r.sessions, 0);
  return [{ key: agent, ...grouped.totals, sessions, byModel: sumByModel(grouped.rows.map((r) => r.byModel)) }];
}

async function fromIndex(index: UsageIndex, request: UsageRequest, scope: Scope, prices: PriceBook): Promise<GroupedUsage> {
  const { groupBy } = request;
  const span = await index.usageTimeRange();
  const offsets = span === null ? [] : offsetIntervals(request.tz, span.minMs, span.maxMs);
  const { tokens, sessions } = await index.aggregateUsage({ ...scope, groupBy, offsets, archived: request.archived });
  const keyOf = (bucket: string | number | null): string | null =>
    bucket === null ? null : isTimeGroup(groupBy) ? bucketLabel(Number(bucket), groupBy) : String(bucket);
  const groups = new Map<string | null, ModelTally>();
  const all = new ModelTally();
  for (const t of tokens) {
    const key = keyOf(t.bucket);
    let tally = groups.get(key);
    if (tally === undefined) groups.set(key, (tally = new ModelTally()));
    tally.add(t.model, t);
    all.add(t.model, t);
  }
  const counts = new Map(sessions.map((s) => [keyOf(s.bucket), s.n]));
  const rows = [...groups].map(([key, tally]) => ({
    key,
    ...tally.totals(prices),
    sessions: counts.get(key) ?? 0,
    byModel: tally.perModel(prices),
  }));
  return { rows: sortUsageRows(rows, groupBy), totals: all.totals(prices), unpricedModels: all.unpriced(prices) };
}

/** One file's responses and its session's facts, read from the disk. */
export interface FileUsage {
  file: RolloutFile;
  responses: FileResponses;
  /** A Claude file's responses as its counter returned them (its `responses` are then empty). */
  claude?: ClaudeResponse[];
  facts: SessionFacts;
}

async function readFile(deps: UsageDeps, file: RolloutFile, signal?: AbortSignal): Promise<FileUsage | null> {
  const listing = await deps.readListing(file, 0, 0, deps.log);
  const summary = listing?.read?.summary;
  if (summary === undefined) return null;
  const responses: UsageResponse[] = [];
  const claude = deps.agent === 'claude' ? await readClaudeResponses(file, deps.env, { signal }) : undefined;
  const counter = codex.usageCounter();
  if (claude === undefined) {
    // As readClaudeResponses: long strings cut, ids kept whole.
    for await (const content of fileContentLines(file, { ...deps.env, cutLongStrings: true })) {
      if (signal?.aborted) throw abandoned();
      const { line, record } = content;
      const response = record === null || line.record === null ? null : counter.feed(line.record, line.lineNo, record);
      if (response !== null) responses.push(response);
      content.record = line.record = null; // as readClaudeResponses does: a long line's record is let go at once
    }
  }
  return {
    file,
    responses: { file: file.relPath, sessionId: file.id, createdAt: summary.createdAt, hasRecords: !counter.countsTokenCount, responses },
    ...(claude === undefined ? {} : { claude }),
    facts: {
      id: file.id,
      cwd: summary.cwd === null ? null : normalizeCwd(summary.cwd),
      source: summary.source,
      provider: summary.modelProvider,
    },
  };
}

/** Index states in which the index is on its way to answering (a build, a rebuild, a wait for a lock). */
const BUILDING_STATES: ReadonlySet<string> = new Set(['building', 'rebuilding', 'waiting']);
/**
 * Files a scan may read while the index builds: a few hundred take well under a second (about
 * 3 ms each); a larger home gets a 503 with the build's progress at once, not a minute-long scan.
 */
const BUILDING_SCAN_FILES = 200;
/** What a scan holds per file until it has counted them all (its responses, ~90 in a real session), for the memory budget. */
const SCAN_BYTES_PER_FILE = 16 * 1024;

/**
 * The same answer by reading every file: rule 6 needs all of them, whatever the filters. The
 * responses of every file are held until all are read, so a scan takes its share of the memory
 * budget first (one of --max-scan-files at a time, at most); a full budget answers 503.
 */
async function fromFiles(deps: UsageDeps, request: UsageRequest, scope: Scope, signal?: AbortSignal): Promise<GroupedUsage> {
  return withEveryFile(deps, (read) => countFiles(deps, request, scope, read), signal);
}

/**
 * Reads the usage of every file of the home (at most --max-scan-files of them; while the index
 * builds, BUILDING_SCAN_FILES; more: 503) holding its share of the memory budget while `use` runs.
 * Once `signal` aborts (the request's client went away) it stops at the next file or line:
 * a scan of thousands of files costs seconds of CPU that nobody would read.
 */
export async function withEveryFile<T>(deps: UsageDeps, use: (read: FileUsage[]) => T, signal?: AbortSignal): Promise<T> {
  const files: RolloutFile[] = [];
  // While the index builds, a scan competes with it for the disk: only a small home is read.
  const progress = deps.index?.progress();
  const building = progress !== undefined && BUILDING_STATES.has(progress.state);
  const cap = building ? Math.min(deps.maxScanFiles, BUILDING_SCAN_FILES) : deps.maxScanFiles;
  for await (const file of deps.walker.walk('all', 'desc')) {
    if (signal?.aborted) throw abandoned();
    files.push(file);
    if (files.length > cap) {
      const retryAfterS = building ? RETRY_AFTER_S.indexBuilding : RETRY_AFTER_S.indexIncomplete;
      const detail = building
        ? `usage of more than ${cap} sessions is answered from the index, which is being built ` +
          `(${progress.filesCheckedThisPass} files checked so far); retry in ${retryAfterS} s`
        : `usage of more than ${cap} sessions is answered from the index, which is not complete yet; retry later`;
      throw new RolloutError(RolloutErrorKind.Unavailable, detail, { retryAfterS });
    }
  }
  const release = await deps.env.budget.requests.acquire(files.length * SCAN_BYTES_PER_FILE, undefined, signal);
  try {
    return use(await readFiles(deps, files, signal));
  } finally {
    release();
  }
}

async function readFiles(deps: UsageDeps, files: RolloutFile[], signal?: AbortSignal): Promise<FileUsage[]> {
  const read: FileUsage[] = [];
  for (let i = 0; i < files.length; i += FILES_AT_ONCE) {
    if (signal?.aborted) throw abandoned();
    const batch = files.slice(i, i + FILES_AT_ONCE).map((f) =>
      readFile(deps, f, signal).catch((err: unknown) => {
        rethrowIfNotTheFile(err, `cannot read ${f.relPath}`);
        return null; // unreadable or gone: not counted, as in the list
      }),
    );
    for (const r of await Promise.all(batch)) if (r !== null) read.push(r);
  }
  return read;
}

/** Each file's counted responses (by its path): the home-wide rules of the deps' agent over every file read. */
export function countedOf(deps: UsageDeps, read: readonly FileUsage[]): Map<string, UsageResponse[]> {
  return deps.agent === 'claude'
    ? countedClaudeResponses(read.map((r) => ({ file: r.file.relPath, createdAt: r.responses.createdAt, responses: r.claude ?? [] })))
    : countedResponses(read.map((r) => r.responses));
}

function countFiles(deps: UsageDeps, request: UsageRequest, scope: Scope, read: FileUsage[]): GroupedUsage {
  const counted = countedOf(deps, read);
  const wanted = (file: RolloutFile) => request.archived === 'all' || file.archived === (request.archived === 'true');
  const { filter } = scope;
  const inScope = read.filter(({ file, facts }) => wanted(file) && passesSelectors(facts, filter));
  const inTime = (r: UsageResponse) => {
    const at = r.at === null ? Number.NaN : Date.parse(r.at);
    return (scope.sinceMs === undefined || at >= scope.sinceMs) && (scope.untilMs === undefined || at <= scope.untilMs);
  };
  const pairs = inScope.flatMap(({ responses, facts }) =>
    (counted.get(responses.file) ?? []).filter(inTime).map((response) => ({ response, session: facts })),
  );
  return groupUsage(pairs, request.groupBy, request.tz, deps.prices);
}
