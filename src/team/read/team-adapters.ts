import { wholeMtimeMs, type FileStamp } from '../../rollout/files/file-stamp.js';
import { isCurrent } from '../../rollout/index/identity.js';
import type { SearchFilter } from '../../rollout/index/store.js';
import type { IndexQuery } from '../../rollout/listing/page-index.js';
import type { Candidate } from '../../rollout/listing/page-loop.js';
import type { SearchQuery } from '../../rollout/search/match.js';
import type { SearchIndex } from '../../rollout/search/search-index.js';
import type { LocatedDoc } from '../../rollout/search/session-matcher.js';
import type { RolloutFile } from '../../rollout/types.js';
import type { UsageIndex } from '../../rollout/usage/usage-index.js';
import { pushedFile } from './pushed-file.js';
import { placeOf, type PushedOpens } from './team-files.js';
import type { TeamIndex } from './team-index.js';
import type { HeldDocs } from '../../rollout/index/postgres/multi-home.js';
import { DOC_CHUNK } from '../../rollout/index/postgres/search.js';

/** Sessions a search page takes from the index at a time after its first batch (as index-candidates.ts). */
const SEARCH_BATCH = 64;

/**
 * The machine a position without one (a single-machine search cursor) ties with: none, so that
 * the page goes on strictly after the position. Machine names are ASCII; U+10FFFF sorts after
 * every one of them in collation C, the empty string before.
 */
const beyond = (order: IndexQuery['order']) => (order === 'desc' ? '' : '\u{10FFFF}');

/** Search candidates over the machines, in page order (the machine breaking ties), in batches as the page asks. */
async function* teamCandidates(
  index: TeamIndex,
  machines: string[],
  query: IndexQuery,
  filter: SearchFilter,
  opens?: PushedOpens,
  docs?: (rows: readonly { machine: string; relPath: string }[]) => Promise<void>,
): AsyncGenerator<Candidate> {
  let after = query.after && { ...query.after, machine: beyond(query.order) };
  let limit = query.limit;
  while (true) {
    const rows = await index.query({ ...query, after, limit, machines }, filter);
    const files = rows.map((row) => pushedFile(row.machine, row.relPath));
    // The batch's files open with one query (their listing reads follow), not a few each.
    // and the candidates' rows and documents with one more, beside it.
    await Promise.all([opens?.prefetch(files.filter((f) => f !== null)), docs?.(rows)]);
    for (const [i, row] of rows.entries()) {
      const file = files[i]!;
      if (file !== null) yield { file, position: { key: row.key, mtimeMs: wholeMtimeMs(row.mtimeMs) }, stamp: row.stamp };
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < limit) return;
    after = { key: last.key, mtimeMs: last.mtimeMs, machine: last.machine };
    limit = Math.max(limit, SEARCH_BATCH);
  }
}

/**
 * The single-machine search (search-pages.ts) over the team index: candidates of every machine
 * asked for, and a file's documents from the index while it holds them as the file is now
 * (otherwise the search reads the file from cs_chunks). The team index is always answerable:
 * what a pushed file adds is indexed within about a second of the push (docs/team.md).
 */
export function teamSearchIndex(index: TeamIndex, machines: string[], opens?: PushedOpens): SearchIndex {
  // Each batch's documents, read with the batch (`machine\0relPath`), taken once by searchDocuments.
  const held = new Map<string, HeldDocs>();
  return {
    usable: true,
    // List pages read the team index directly (TeamRepository.listPage): these serve no caller.
    candidates: async () => null,
    count: async () => null,
    refresh: async () => {},
    searchCandidates: async (query: IndexQuery, search: SearchQuery) => {
      const filter = index.searchFilter(search);
      const docs = async (rows: readonly { machine: string; relPath: string }[]) => {
        for (const [k, v] of await index.documentsOfMany(rows, search)) held.set(k, v);
      };
      const candidates = teamCandidates(index, machines, query, filter, opens, opens && docs);
      return { candidates, trusted: false, maxExamined: Number.POSITIVE_INFINITY };
    },
    searchDocuments: async (file: RolloutFile, stamp: FileStamp, search: SearchQuery, fromLine = 0): Promise<LocatedDoc[] | null> => {
      const machine = placeOf(file)?.machine;
      if (machine === undefined) return null;
      const key = `${machine}\0${file.relPath}`;
      const got = held.get(key);
      held.delete(key);
      // A session with more documents than one statement returns reads on from the index (below).
      if (got !== undefined && fromLine === 0 && got.docs.length < DOC_CHUNK) return isCurrent(got.row, stamp) ? got.docs : null;
      return index.currentDocuments(machine, file.relPath, (row) => isCurrent(row, stamp), search, fromLine);
    },
  };
}

/** The single-machine usage report (usage-report.ts) over the machines asked for; `byMachine`: its groups are the machines. */
export function teamUsageIndex(index: TeamIndex, machines: string[], byMachine: boolean): UsageIndex {
  return {
    usable: true,
    progress: () => ({ state: 'complete', filesCheckedThisPass: 0 }),
    usageTimeRange: () => index.usageTimeRange(machines),
    aggregateUsage: (q) => index.aggregateUsage({ ...q, machines, groupBy: byMachine ? 'machine' : q.groupBy }),
  };
}
