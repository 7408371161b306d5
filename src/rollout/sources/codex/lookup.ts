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
 * found there, need a walk of the whole tree.
 */
export async function filesClaiming(walker: SessionWalker, id: string): Promise<RolloutFile[]> {
  const archived = await walker.filesIn(ARCHIVED_DIR, 'desc', id);
  const createdMs = uuidV7Millis(id);
  if (createdMs !== null) {
    const found: RolloutFile[] = [];
    for (const offset of [-DAY_MS, 0, DAY_MS]) found.push(...(await walker.filesIn(utcDayDir(createdMs + offset), 'desc', id)));
    if (found.length + archived.length > 0) return [...found, ...archived];
  }
  const found: RolloutFile[] = [];
  for await (const file of walker.walk('false', 'desc')) if (file.id === id) found.push(file);
  return [...found, ...archived];
}
