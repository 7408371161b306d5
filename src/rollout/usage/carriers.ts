import { rethrowIfNotTheFile, RolloutError, RolloutErrorKind } from '../errors.js';
import { fileContentLines } from '../reading/content-lines.js';
import type { RolloutFile } from '../types.js';
import { UsageCounter } from './counter.js';
import type { UsageDeps } from './usage-report.js';

/** Rule 6's "oldest file": the smaller creation time, then the smaller path (as in ownership.ts). */
const isOlder = (a: { createdAt: string; relPath: string }, b: { createdAt: string; relPath: string }): boolean =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.relPath < b.relPath);

/**
 * Of `keys` (shared responses of threads no session file has), those that a file older than
 * `file` carries: rule 6 gives them to that file, so `file` does not count them. Reads the
 * usage lines of every older session file of the home, the way GET /usage does before its
 * index is complete (at most --max-scan-files files, else 503 with Retry-After). Only asked
 * for the rare session that carries such responses (a fork whose parent file is gone).
 */
export async function keysCarriedByOlder(deps: UsageDeps, file: RolloutFile, keys: ReadonlySet<string>): Promise<Set<string>> {
  const found = new Set<string>();
  const self = (await deps.readListing(file, 0, 0, deps.log))?.read?.summary;
  if (self === undefined || keys.size === 0) return found;
  const me = { createdAt: self.createdAt, relPath: file.relPath };
  let examined = 0;
  for await (const other of deps.walker.walk('all', 'desc')) {
    if (other.id === file.id) continue; // the file itself, or its archived copy
    if (++examined > deps.maxScanFiles) {
      throw new RolloutError(
        RolloutErrorKind.Unavailable,
        `this session's usage depends on more than ${deps.maxScanFiles} other sessions; retry later`,
        { retryAfterS: 30 },
      );
    }
    try {
      const summary = (await deps.readListing(other, 0, 0, deps.log))?.read?.summary;
      if (summary === undefined || !isOlder({ createdAt: summary.createdAt, relPath: other.relPath }, me)) continue;
      const counter = new UsageCounter();
      for await (const { line, record } of fileContentLines(other, deps.env)) {
        if (record === null || line.record === null || record.kind !== 'token_usage_record') continue;
        const response = counter.feed(line.record, line.lineNo, record);
        if (response !== null && keys.has(response.responseKey)) found.add(response.responseKey);
      }
    } catch (err) {
      rethrowIfNotTheFile(err, `cannot read ${other.relPath}`);
    }
    if (found.size === keys.size) break;
  }
  return found;
}
