export type SortOrder = 'desc' | 'asc';

/** Which roots a listing covers: active `sessions/`, `archived_sessions/`, or both. */
export type ArchivedFilter = 'false' | 'true' | 'all';

/** Where a session came from, normalised (Codex writes strings and tagged objects). */
export type SessionSource = 'cli' | 'vscode' | 'exec' | 'mcp' | 'subagent' | 'custom' | 'unknown';

export type JsonRecord = Record<string, unknown>;

export interface GitInfo {
  branch: string | null;
  commitHash: string | null;
  repositoryUrl: string | null;
}

/** The normalised description of one session, the same in every line-format generation. */
export interface SessionSummary {
  id: string;
  /** Relative to its agent's home (the Codex or the Claude home), with `/` separators. */
  path: string;
  createdAt: string;
  updatedAt: string;
  sizeBytes: number;
  title: string | null;
  name: string | null;
  cwd: string | null;
  source: SessionSource;
  originator: string | null;
  cliVersion: string | null;
  modelProvider: string;
  git: GitInfo | null;
  forkedFromId: string | null;
  archived: boolean;
  /** Token usage and cost, from the index; null while the session is not indexed (or without an index). */
  usage: UsageSummary | null;
  /** Team mode: the machine that pushed the session (absent over one home). */
  machine?: string;
  /** The agent that wrote the session; absent means `codex` (the source that was first). */
  agent?: 'codex' | 'claude';
  /** The model of the session's first response, where the head read knows it (Claude); absent: null. */
  model?: string | null;
}

/** A session's counted token usage and its cost (docs/usage.md). */
export interface UsageSummary {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  /** Input written to the prompt cache (Claude), part of inputTokens; 0 for Codex. */
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  totalTokens: number;
  /** Null when none of its models has a price. */
  costUSD: number | null;
  models: string[];
}

/**
 * A record's JSON text: the byte range of the record in its file (the line without the white
 * space around it), and, while it is held in memory, its bytes. A record without bytes was too
 * long to hold (or over a memory allowance): it is read again from the same open file, or from a
 * file with the same identity (rollouts are append-only: bytes once written do not change).
 */
export interface RecordText {
  offset: number;
  length: number;
  /** The range is valid UTF-8; otherwise it is decoded (U+FFFD) and re-encoded when sent. */
  utf8: boolean;
  /** The text to send (always valid UTF-8), when held. */
  bytes?: Buffer;
}

/** Which file an item's records that are not held are read from: the file as the listing read it. */
export interface RecordOrigin {
  file: RolloutFile;
  dev: number;
  ino: number;
  size: number;
}

/** A listed session; its head and tail records are their JSON text (UTF-8) as read from the file. */
export interface ConversationItem extends SessionSummary {
  head: RecordText[];
  tail: RecordText[];
  /** Set when some record is not held: the body reads it from this file (checked to be the same file). */
  origin?: RecordOrigin;
}

export type SortField = 'created' | 'updated';

/** Filter values as the API takes them (already split into lists). */
export interface FilterInput {
  cwd?: string[] | undefined;
  source?: string[] | undefined;
  provider?: string[] | undefined;
  since?: string | undefined;
  until?: string | undefined;
  q?: string | undefined;
  /** Team mode: the machines whose sessions are wanted (a repository over one home refuses it). */
  machine?: string[] | undefined;
  /** The agents whose sessions are wanted (multi-repository.ts chooses the sources; one source's repository ignores it). */
  agent?: ('codex' | 'claude')[] | undefined;
}

export interface ListQuery extends FilterInput {
  cursor?: string | undefined;
  limit: number;
  head: number;
  tail: number;
  sort?: SortField | undefined;
  order: SortOrder;
  archived: ArchivedFilter;
  includeEmpty: boolean;
  /** Count the sessions that pass the filters too (first page, complete index only). */
  total?: boolean | undefined;
}

export interface ConversationsPage {
  items: ConversationItem[];
  nextCursor: string | null;
  numScannedFiles: number;
  reachedScanCap: boolean;
  /** Sessions that pass the filters, all pages together: on a first page, when the index could count them. */
  total?: number;
  /**
   * True when the page leaves out a source's sessions: its index is building and its first
   * listing of the tree, past LISTING_WAIT_FILES or the scan bound, is still under way (listing/list-page.ts).
   */
  indexing?: boolean;
}

/** A rollout file found on disk, before its contents are read. */
export interface RolloutFile {
  /** `<stamp>|<id>`, the ordering key. */
  key: string;
  stamp: string;
  id: string;
  absPath: string;
  relPath: string;
  archived: boolean;
}

/** Structured debug logging; pino's logger (and Fastify's request logger) fit it. */
export interface RolloutLogger {
  debug(obj: object, msg?: string): void;
  /** Optional: only the index's progress lines use it (test loggers leave it out). */
  info?(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
