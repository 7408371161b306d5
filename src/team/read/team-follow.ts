import type pg from 'pg';
import { RolloutError, RolloutErrorKind } from '../../rollout/errors.js';
import { FileFollower, type FollowStart, type Look } from '../../rollout/live/follower.js';
import type { BytePool } from '../../rollout/reading/byte-budget.js';
import type { OpenRollout, ReadLimits } from '../../rollout/reading/session-reader.js';
import { codex } from '../../rollout/sources/registry.js';
import type { RolloutFile } from '../../rollout/types.js';
import { pushedHome } from './home.js';
import type { TeamFeed } from './team-feed.js';
import { openPushed, placeOf } from './team-files.js';

/** A follower also looks this often without a notice (a notice lost with the listening connection). */
const FOLLOW_POLL_MS = 1000;

export interface TeamFollowOptions {
  pool: pg.Pool;
  feed: TeamFeed;
  limits: ReadLimits;
  /** The memory budget's pool for long lines (as over one home). */
  lines: BytePool;
}

/**
 * `GET /conversations/:id/events` in team mode: the single-machine follower (FileFollower, its
 * events and bounds) over a pushed file. It reads cs_chunks past its offset one slice at a time
 * (the file's generation only), wakes on the LISTEN notices of the file (TeamFeed), and looks at
 * the file's row in cs_files instead of the disk: same id and generation (appended to), another
 * generation (replaced: the old bytes are gone with it), another path (an archive move) or no row.
 */
export class TeamFollow {
  constructor(private readonly options: TeamFollowOptions) {}

  async follow(file: RolloutFile, start: FollowStart): Promise<FileFollower> {
    const place = placeOf(file);
    if (place === null) throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${file.id}`);
    const { pool, feed, limits, lines } = this.options;
    await feed.start(); // every change from the opening on wakes the follower
    const open = async (f: RolloutFile): Promise<OpenRollout> => {
      try {
        return await openPushed(pool, f, true);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        throw new RolloutError(RolloutErrorKind.NotFound, `no session with id ${f.id}`);
      }
    };
    return FileFollower.open(file, codex.walker(pushedHome(place.machine)), start, {
      limits,
      lines,
      pollMs: FOLLOW_POLL_MS,
      onEvent: (relPath, wake) => feed.onFile(place.machine, relPath, wake),
      open,
      look: (f, opened) => lookInDatabase(pool, f, opened),
    });
  }
}

/** The followed file's row now (`opened.stat`: `ino` its id, `dev` its generation, as openPushed gives them). */
async function lookInDatabase(pool: pg.Pool, file: RolloutFile, opened: OpenRollout): Promise<Look> {
  const { rows } = await pool.query<{ path: string; size: number; generation: number }>({
    name: 'cs-follow-look',
    text: 'SELECT path, size::float8 AS size, generation FROM cs_files WHERE id = $1',
    values: [String(opened.stat.ino)],
  });
  const row = rows[0];
  if (row === undefined) return { kind: 'gone', before: 0, where: async () => ({ kind: 'gone', reason: 'removed', path: null }) };
  const same = row.generation === opened.stat.dev;
  if (row.path !== file.relPath) {
    // Moved: the same bytes under another path (unless replaced there since; then nothing more is read).
    const reason = codex.isArchivedPath(row.path) ? 'archived' : 'unarchived';
    return { kind: 'gone', before: same ? row.size : 0, where: async () => ({ kind: 'gone', reason, path: row.path }) };
  }
  return same ? { kind: 'same', size: row.size } : { kind: 'replaced', before: 0 };
}
