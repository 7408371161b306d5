import { ARCHIVED_DIR, SESSIONS_DIR } from './tree-walk.js';
import type { SessionWalker } from '../source.js';
import type { RolloutFile } from '../../types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** UUIDv7 ids start with their creation time in Unix milliseconds; null for other versions. */
export function uuidV7Millis(id: string): number | null {
  if (id[14] !== '7') return null;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** `sessions/YYYY/MM/DD` of the UTC day that holds `ms`. */
function utcDayDir(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${SESSIONS_DIR}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
}

/**
 * Every rollout file that claims `id` (lower case), in `sessions/` or `archived_sessions/`. A
 * UUIDv7 names its creation day; the file name uses the writer's local time, at most a day
 * away, so that day and the days either side are searched first. Other ids, and v7 ids not
 * found there, need a walk of the whole tree; unless `changed` is given (a complete index lacks
 * the id, SessionSource.filesClaiming): then the changed files and the newest day (where a
 * session written a moment ago lands before the watch tells) are all that can hold it.
 */
export async function filesClaiming(walker: SessionWalker, id: string, changed?: readonly string[] | null): Promise<RolloutFile[]> {
  const archived = await walker.filesIn(ARCHIVED_DIR, 'desc', id);
  const createdMs = uuidV7Millis(id);
  if (createdMs !== null) {
    const found: RolloutFile[] = [];
    for (const offset of [-DAY_MS, 0, DAY_MS]) found.push(...(await walker.filesIn(utcDayDir(createdMs + offset), 'desc', id)));
    if (found.length + archived.length > 0) return [...found, ...archived];
  }
  const found: RolloutFile[] = [];
  if (changed != null) {
    const [newest] = await newestDays(walker);
    const near = newest === undefined ? [] : await walker.filesIn(newest, 'desc', id);
    const told = changed.map((rel) => walker.fileAt(rel)).filter((f): f is RolloutFile => f !== null && f.id === id);
    const byPath = new Map([...near, ...told, ...archived].map((f) => [f.relPath, f]));
    return [...byPath.values()];
  }
  for await (const file of walker.walk('false', 'desc')) if (file.id === id) found.push(file);
  return [...found, ...archived];
}

/** The newest day directory of `sessions/` (none in an empty tree). */
export async function newestDays(walker: SessionWalker): Promise<string[]> {
  const [year] = await walker.numericDirs(SESSIONS_DIR, 'desc');
  const [month] = year ? await walker.numericDirs(`${SESSIONS_DIR}/${year}`, 'desc') : [];
  const [day] = year && month ? await walker.numericDirs(`${SESSIONS_DIR}/${year}/${month}`, 'desc') : [];
  return year && month && day ? [`${SESSIONS_DIR}/${year}/${month}/${day}`] : [];
}
