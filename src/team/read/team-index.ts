import type pg from 'pg';
import type { IndexQuery, ModelUsage, UsageAggregate, UsageAggregation } from '../../rollout/index/metadata-index.js';
import { PgMultiHome, type HeldDocs, type HomeRow } from '../../rollout/index/postgres/multi-home.js';
import type { SearchFilter, StoredFile } from '../../rollout/index/store.js';
import type { Position } from '../../rollout/listing/cursor.js';
import type { SearchQuery } from '../../rollout/search/match.js';
import type { LocatedDoc } from '../../rollout/search/session-matcher.js';
import type { GroupBy } from '../../rollout/usage/grouping.js';
import { PUSHED_PREFIX, machineOf, pushedHome } from './home.js';

/** Every pushed home: the prefix range of cs_index_homes's key (collation C; `pushed;` is the next string after every `pushed:…`). */
const PUSHED_HOMES = { from: PUSHED_PREFIX, to: `${PUSHED_PREFIX.slice(0, -1)};` } as const;

/** A row of the team index and the machine whose home holds it. */
export interface MachineRow extends StoredFile {
  machine: string;
}

/** A list page across machines: `machines` null for every machine; ties (one id on two machines) broken by machine. */
export interface TeamPageQuery extends Omit<IndexQuery, 'after'> {
  machines: readonly string[] | null;
  after?: (Position & { machine: string }) | undefined;
}

export type TeamGroupBy = GroupBy | 'machine';

export interface TeamUsageQuery extends Omit<UsageAggregation, 'groupBy'> {
  machines: readonly string[] | null;
  groupBy: TeamGroupBy;
}

/**
 * The team index as the read routes will ask it (docs/team.md): every query over the pushed homes
 * of the machines named (or of every machine), answering per row which machine holds it. A
 * machine's home is `pushed:<machine>` (home.ts); the queries are PgMultiHome's.
 */
export class TeamIndex {
  private readonly multi: PgMultiHome;

  constructor(private readonly pool: pg.Pool) {
    this.multi = new PgMultiHome(pool);
  }

  /** Every machine with an indexed home, in bytewise order. */
  async machines(): Promise<string[]> {
    const { rows } = await this.pool.query<{ home: string }>({
      name: 'cs-team-machines',
      text: 'SELECT home FROM cs_index_homes WHERE home >= $1 AND home < $2 ORDER BY home',
      values: [PUSHED_HOMES.from, PUSHED_HOMES.to],
    });
    return rows.map((r) => machineOf(r.home)!);
  }

  private async homes(machines: readonly string[] | null): Promise<string[]> {
    return (machines ?? (await this.machines())).map(pushedHome);
  }

  async query(q: TeamPageQuery, search?: SearchFilter): Promise<MachineRow[]> {
    const { machines, after, ...rest } = q;
    const homes = machines === null ? PUSHED_HOMES : machines.map(pushedHome);
    const rows = await this.multi.query({ ...rest, homes, after: after && { ...after, home: pushedHome(after.machine) } }, search);
    return rows.map(withMachine);
  }

  /** How many sessions of the machines pass the filters of `q`. */
  async count(q: Omit<TeamPageQuery, 'after' | 'limit'>): Promise<number> {
    const { machines, ...rest } = q;
    return this.multi.count(await this.homes(machines), rest);
  }

  searchFilter(search: SearchQuery): SearchFilter {
    return this.multi.searchFilter(search);
  }

  /** A file's documents that may match `search`, when `current` accepts its row (else null): one statement. */
  currentDocuments(
    machine: string,
    relPath: string,
    current: (row: StoredFile) => boolean,
    search: SearchQuery,
    fromLine: number,
  ): Promise<LocatedDoc[] | null> {
    return this.multi.currentDocuments(pushedHome(machine), relPath, current, search, fromLine);
  }

  /** currentDocuments's rows and first documents for a batch of files, in one statement, by `machine\0relPath`. */
  async documentsOfMany(files: readonly { machine: string; relPath: string }[], search: SearchQuery): Promise<Map<string, HeldDocs>> {
    const held = await this.multi.documentsOfMany(files.map((f) => ({ home: pushedHome(f.machine), relPath: f.relPath })), search);
    return new Map([...held].map(([k, v]) => [k.slice(PUSHED_PREFIX.length), v]));
  }

  usageOf(machine: string, relPaths: readonly string[]): Promise<Map<string, ModelUsage[]>> {
    return this.multi.usageOf(pushedHome(machine), relPaths);
  }

  async usageTimeRange(machines: readonly string[] | null): Promise<{ minMs: number; maxMs: number } | null> {
    return this.multi.usageTimeRange(await this.homes(machines));
  }

  /** Usage over the machines; `groupBy: 'machine'` has the machine names as buckets. */
  async aggregateUsage(q: TeamUsageQuery): Promise<UsageAggregate> {
    const { machines, groupBy, ...rest } = q;
    const homes = await this.homes(machines);
    if (groupBy !== 'machine') return this.multi.aggregateUsage(homes, { ...rest, groupBy });
    const got = await this.multi.aggregateUsage(homes, { ...rest, groupBy: 'home' });
    const bucket = (b: unknown) => machineOf(String(b));
    return {
      tokens: got.tokens.map((t) => ({ ...t, bucket: bucket(t.bucket) })),
      sessions: got.sessions.map((s) => ({ ...s, bucket: bucket(s.bucket) })),
    };
  }

  /**
   * Every (machine, row) of a session id (lower case), by machine then path. Rows on more than one
   * machine make the id ambiguous: the route answers 409 AMBIGUOUS_ID naming those machines.
   */
  async byId(id: string, machines: readonly string[] | null = null): Promise<MachineRow[]> {
    return (await this.multi.byId(await this.homes(machines), id)).map(withMachine);
  }
}

function withMachine({ home, ...row }: HomeRow): MachineRow {
  return { ...row, machine: machineOf(home)! };
}
