import { isFileLocalKey, type UsageResponse } from '../sources/common/usage-response.js';

/** One file's responses as its counter returned them, with what rule 6 orders files by. */
export interface FileResponses {
  /** Names the file (its path relative to the Codex home). */
  file: string;
  /** The file's session id. */
  sessionId: string;
  /** The session's creation time (ISO 8601); "the oldest file" is the smallest, then the path. */
  createdAt: string;
  /** The counter's rule 1 flag: the file has token_usage_record lines. */
  hasRecords: boolean;
  responses: readonly UsageResponse[];
}

const older = (a: FileResponses, b: FileResponses): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0;

/** Rule 1 and the within-file duplicate check: the responses a file can count before rule 6. */
function ownResponses(f: FileResponses): UsageResponse[] {
  const seen = new Set<string>();
  return f.responses.filter((r) => {
    if (f.hasRecords && r.source !== 'record') return false;
    if (isFileLocalKey(r.responseKey)) return true;
    if (seen.has(r.responseKey)) return false;
    seen.add(r.responseKey);
    return true;
  });
}

/**
 * Rules 1 and 6 over the responses of several files, independent of storage: which responses
 * each file counts. A response that several files carry (the same `thread_id/response_id`)
 * belongs to the session whose id is its thread_id, even when that session's file does not
 * carry it (it counts its usage its own way, from token_count events); when no file has that
 * id, to the oldest file that carries it. `files` must hold every file of the home that could
 * own a response (files without responses included): ownership depends on which ids exist.
 * Keys local to one file (no response id) always stay with their file.
 */
export function countedResponses(files: readonly FileResponses[]): Map<string, UsageResponse[]> {
  const own = new Map(files.map((f) => [f.file, ownResponses(f)] as const));
  const bySession = new Map<string, FileResponses[]>();
  for (const f of files) bySession.set(f.sessionId, [...(bySession.get(f.sessionId) ?? []), f]);
  const carriers = new Map<string, { threadId: string | null; files: FileResponses[] }>();
  for (const f of files) {
    for (const r of own.get(f.file)!) {
      if (isFileLocalKey(r.responseKey)) continue;
      const entry = carriers.get(r.responseKey) ?? { threadId: r.threadId, files: [] };
      entry.files.push(f);
      carriers.set(r.responseKey, entry);
    }
  }
  const owner = new Map<string, string | null>();
  for (const [key, { threadId, files: carrying }] of carriers) {
    const sessionFiles = threadId === null ? undefined : bySession.get(threadId);
    const candidates = sessionFiles === undefined ? carrying : carrying.filter((f) => sessionFiles.includes(f));
    owner.set(key, candidates.length === 0 ? null : [...candidates].sort(older)[0]!.file);
  }
  const counted = new Map<string, UsageResponse[]>();
  for (const f of files) {
    counted.set(
      f.file,
      own.get(f.file)!.filter((r) => isFileLocalKey(r.responseKey) || owner.get(r.responseKey) === f.file),
    );
  }
  return counted;
}
