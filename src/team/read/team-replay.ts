import type pg from 'pg';

/** The removals migration 5 keeps in cs_removed (its trigger's `OFFSET 9999`). */
const REMOVALS_KEPT = 10_000;

/**
 * At most this many changed files are replayed to one reconnecting client; more mean `reset`
 * (the client reloads its list, which costs less than reading that many summaries). The default
 * of `live.replayMax` (no flag; a test lowers it so as not to push a thousand files).
 */
export const REPLAY_MAX = 1000;

/** One file changed since a client's last event: as it is now, or removed (`removed`). */
export interface ReplayRow {
  seq: number;
  machine: string;
  path: string;
  removed: boolean;
}

/**
 * What changed after `lastId` (up to `newest`), oldest first: each pushed file whose change_seq
 * is past it, once, at its newest change, and each removal kept in cs_removed. Null when that is
 * more than `max` files (REPLAY_MAX by default), or when removals after `lastId` may have been dropped from
 * cs_removed already: the client must reload instead.
 */
export async function changesSince(
  pool: pg.Pool,
  lastId: number,
  newest: number,
  machines: readonly string[] | undefined,
  max = REPLAY_MAX,
): Promise<ReplayRow[] | null> {
  const wanted = machines === undefined ? null : [...machines];
  const { rows: kept } = await pool.query<{ n: number; oldest: number | null }>({
    name: 'cs-removed-horizon',
    text: 'SELECT count(*)::int AS n, min(seq)::float8 AS oldest FROM cs_removed',
  });
  const { n, oldest } = kept[0]!;
  // A full table has dropped its oldest removals: one after lastId may be among them.
  if (n >= REMOVALS_KEPT && oldest !== null && oldest > lastId + 1) return null;
  const { rows } = await pool.query<ReplayRow>({
    name: 'cs-changes-since',
    text: `SELECT seq, machine, path, removed FROM (
               SELECT change_seq::float8 AS seq, machine, path, false AS removed FROM cs_files
                WHERE change_seq > $1 AND change_seq <= $2 AND ($3::text[] IS NULL OR machine = ANY ($3))
               UNION ALL
               SELECT seq::float8, machine, path, true FROM cs_removed
                WHERE seq > $1 AND seq <= $2 AND ($3::text[] IS NULL OR machine = ANY ($3))
             ) AS changed ORDER BY seq LIMIT $4`,
    values: [lastId, newest, wanted, max + 1],
  });
  return rows.length > max ? null : rows;
}
