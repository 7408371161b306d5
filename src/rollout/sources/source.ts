import type { Stats } from 'node:fs';
import type { Degradations } from '../degraded.js';
import type { RecordText } from '../reading/jsonl-lines.js';
import type { RecordEvent } from '../reading/record-events.js';
import type { ReadEnv } from '../reading/session-reader.js';
import type { ArchivedFilter, RolloutFile, RolloutLogger, SessionSummary, SortOrder } from '../types.js';

/** The agents whose sessions the service reads: items carry it once a second source is wired. */
export type AgentName = 'codex' | 'claude';

/** What a home is, as far as serving it goes: `ready`, or why there is nothing to serve (/readyz). */
export type HomeState = 'ready' | 'missing' | 'not-a-directory' | 'unreadable' | 'no-sessions';

/** What a head read finds; the head records are kept as their JSON text. */
export interface SessionHead {
  summary: SessionSummary;
  /** False when no real user message was found within the title bound. */
  hasUserMessage: boolean;
  head: RecordText[];
}

/** A listing read: the head and tail records are kept as their JSON text. */
export interface SessionRead extends SessionHead {
  tail: RecordText[];
  stat: Stats;
}

/** A listing read of a file (null: unreadable; `read` null: not a session). */
export type ListingRead = { stat: Stats; read: SessionRead | null } | null;

/**
 * What the live layer watches of a source's home: the directories (relative to the home) whose
 * entries can be sessions, and the one side file whose change renames sessions (Codex:
 * session_index.jsonl), if any.
 */
export interface WatchPlan {
  roots: readonly string[];
  /** Whether `rel` (relative to the home) is a directory of the session tree: watched when it appears. */
  isTreeDir(rel: string): boolean;
  /** Whether the directory `rel` holds session files itself (Codex: a day directory or archived_sessions/). */
  holdsSessions(rel: string): boolean;
  /** Whether a directory that holds sessions also holds directories of the tree (Claude: a project holds sub-agent directories). */
  nested: boolean;
  namesFile: string | null;
}

/** A source's user-set session names (Codex: session_index.jsonl), by session id; read incrementally, never failing a request. */
export interface SessionNameBook {
  load(): Promise<ReadonlyMap<string, string>>;
}

/** Inclusive `YYYY-MM-DD` bounds on the days a walk visits (files outside them are never opened). */
export interface DateBounds {
  min?: string | undefined;
  max?: string | undefined;
}

/**
 * Discovery of a source's files in one home, what the listing, index and live layers walk. Files
 * come in the source's key order; `afterKey` is an ordering key taken opaquely from a file.
 */
export interface SessionWalker {
  readonly home: string;
  /** `realHome` is `realpath(home)`: symbolic links must resolve inside it. */
  roots(): Promise<{ realHome: string }>;
  absPath(relPath: string): string;
  /** The sub-directories of a tree directory the walk descends into, in `order`. */
  numericDirs(relDir: string, order: SortOrder): Promise<string[]>;
  /**
   * Optional: whether the walk goes into the directory `relDir`, judged for that one path (the
   * watch asks it of a linked directory). Without it, the watch lists the parent (numericDirs):
   * fine for Codex's days of a month, quadratic for a Claude home's projects.
   */
  walksInto?(relDir: string): Promise<boolean>;
  /** The session files directly in `relDir` (only those of `id` when given), in key order. */
  filesIn(relDir: string, order: SortOrder, id?: string): Promise<RolloutFile[]>;
  /** The file a path names, from the path alone (null: not a session file of this source). */
  fileAt(relPath: string): RolloutFile | null;
  everyFile(): AsyncGenerator<RolloutFile>;
  walk(archived: ArchivedFilter, order: SortOrder, afterKey?: string, bounds?: DateBounds): AsyncGenerator<RolloutFile>;
  /**
   * Optional: the home's one watch (live/watch-hub.ts) hands itself over, then tells every raw
   * event's path; while `complete()` holds, every change was told, so a walker may keep what it
   * listed between walks (Claude: its files and their stats, claude/known-files.ts).
   */
  watchedBy?(watch: { complete(): boolean }): void;
  changed?(relPath: string): void;
  /**
   * Optional, for a walker that lists its whole tree before its first file (Claude): whether it
   * can, waiting only while that listing has found at most `cap` files (it goes on in the
   * background). Without it, a walk starts at once. The answer is the walker the caller's walk
   * uses (it takes the listing waited for, the caller's own), or null: not listed yet.
   */
  listedWithin?(cap: number): Promise<SessionWalker | null>;
  /** Optional, with listedWithin: the index answers the pages now; what was kept for them may go. */
  indexAnswers?(): void;
}

/** An opened session: a consistent snapshot (size at open time) of one rollout file. */
export interface OpenConversation {
  file: RolloutFile;
  stat: Stats;
  summary: SessionSummary;
  /**
   * Every line up to the snapshot size, as a record's text or an invalid-line report. A record
   * longer than the hold bound is not held: its text is a range of the file (see textOf).
   */
  records(): AsyncGenerator<RecordEvent>;
  /** A record's text in chunks, read from this open file when it was not held. */
  textOf(text: RecordText): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

/** A source's own shapes: its walker, usage counter and its state, search extraction state, record and conversation. */
export interface SourceShapes {
  walker: SessionWalker;
  counter: unknown;
  counterState: unknown;
  record: unknown;
  extractState: unknown;
  doc: unknown;
  conversation: unknown;
}

/**
 * One agent's sessions: the seam every layer above reaches a source through (registry.ts). The
 * layers above name the shapes through the registered Codex source until a second source is
 * wired (docs/development.md, "Sources").
 */
export interface SessionSource<S extends SourceShapes> {
  readonly agent: AgentName;
  /**
   * Discovery: the walker over the source's files in one home (unreadable directories go to
   * `degraded`). `env` is how its walk reads a file's head when only that knows its key (Claude).
   */
  walker(home: string, degraded?: Degradations, env?: () => Promise<ReadEnv>): S['walker'];
  /** The watch plan of the live layer. */
  readonly watch: WatchPlan;
  /**
   * The ordering key of a file known without opening it (Codex: the name's stamp and id), or
   * null when only a head read knows it (Claude: the first timestamp).
   */
  orderingKey(file: RolloutFile): string | null;
  /** Whether the walk meets files in key order without reading them (Codex: keys are in the names); else a list prefers the index. */
  readonly keysInNames: boolean;
  /**
   * Whether an append can change the summary of a session whose title is already known (Claude:
   * a title record written later names it): the index then reads the head again.
   */
  readonly namedLater: boolean;
  /** The file with its real ordering key, once a head read gave its summary (Codex: the file as it is). */
  keyOf(file: RolloutFile, summary: SessionSummary): RolloutFile;
  /** An ordering key read back from a cursor, normalized, or null when it is not one of this source's keys. */
  parseKey(text: string): string | null;
  /** Keys that sort before (`first`) and after (`last`) every key of the source: look-ahead cursors before anything is served. */
  readonly keyBounds: { first: string; last: string };
  /** The head/summary reader of a listing: summary, title, `headCount` first and `tailCount` last records. */
  readListing(file: RolloutFile, headCount: number, tailCount: number, env: ReadEnv, log: RolloutLogger): Promise<ListingRead>;
  /** The content reader: an opened session's records and summary (`name` from the source's names file). */
  openConversation(file: RolloutFile, name: string | null, env: ReadEnv, log: RolloutLogger): Promise<S['conversation']>;
  /** The usage counter of one file, resumed from a stored state when given. */
  usageCounter(state?: S['counterState']): S['counter'];
  /** The search extractor: a fresh state per file, and the searchable doc of one record (stateful across a file's records). */
  readonly search: { initial(): S['extractState']; docOf(record: S['record'], state: S['extractState']): S['doc'] | null };
  /** The state of a home for /readyz. */
  homeState(home: string): Promise<HomeState>;
  /** The user-set names of the sessions in one home (a problem with them goes to `degraded`). */
  names(home: string, degraded?: Degradations): SessionNameBook;
  /** The summary of a file known only by its path (a session removed before it was ever read). */
  summaryOfPath(file: RolloutFile): SessionSummary;
  /**
   * Every file that claims a session id (lower case), found on disk without an index. `changed`:
   * the session files changed since a complete watch began, given when a complete index lacks
   * the id: any other file is in that index, so where the id names no place the source searches
   * these (and where new sessions land) instead of walking the tree.
   */
  filesClaiming(walker: SessionWalker, id: string, changed?: readonly string[] | null): Promise<RolloutFile[]>;
  /** Whether a path (relative to the home) lies in the source's archive. */
  isArchivedPath(relPath: string): boolean;
  /** Where a session's file would be after it was archived (or unarchived when it is archived): the follower looks there. */
  movedPath(file: RolloutFile): string;
  /**
   * The directories where new sessions land (Codex: the archive and the newest day directory):
   * the index upkeep looks at them before a query, ahead of the watcher.
   */
  recentDirs(walker: SessionWalker): Promise<string[]>;
}
