import type { ArchivedFilter } from '../types.js';
import type { GroupBy, UsageSelectors } from './grouping.js';
import type { OffsetInterval } from './time-buckets.js';
import type { TokenCounts } from '../sources/common/tokens.js';

/** One model's counted tokens in one session. */
export interface ModelUsage extends TokenCounts {
  model: string;
}

/** What `GET /usage` aggregates: counted responses of the sessions that pass the filters, in a time range. */
export interface UsageAggregation {
  groupBy: GroupBy;
  /** The requested zone's offsets over the responses' times (for time groups). */
  offsets: OffsetInterval[];
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  archived: ArchivedFilter;
  filter: UsageSelectors;
}

/** A group's key: a session column, a model, or a local day number for time groups. */
export type UsageBucket = string | number | null;

export interface UsageAggregate {
  tokens: (TokenCounts & { bucket: UsageBucket; model: string })[];
  sessions: { bucket: UsageBucket; n: number }[];
}

/** What usage needs of an index (the metadata index implements it; usage does not depend on the index folder). */
export interface UsageIndex {
  readonly usable: boolean;
  /** Where the index is: `building` (and how far) while its first pass runs. */
  progress(): { state: string; filesCheckedThisPass: number };
  /**
   * The earliest and latest time of a counted response; null when there is none. This and
   * aggregateUsage answer empty when the index stops answering: the caller checks `usable` after.
   */
  usageTimeRange(): Promise<{ minMs: number; maxMs: number } | null>;
  /** The counted usage of the sessions that pass `q`, per group and model, and the sessions per group. */
  aggregateUsage(q: UsageAggregation): Promise<UsageAggregate>;
  /**
   * Of these shared response keys, those a file other than `relPath` counts (a Claude session's
   * page: the home-wide rules, asked of the index); absent where the store cannot say (then the files are read).
   */
  countedElsewhere?(relPath: string, keys: readonly string[]): Promise<Set<string> | null>;
}
