// Response shapes of the public API (docs/api.md, docs/search.md, docs/usage.md, docs/live.md), as the dashboard reads them.

export type Agent = 'codex' | 'claude';

export interface GitInfo {
  branch: string | null;
  commitHash: string | null;
  repositoryUrl: string | null;
}

export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  /** Input written to the prompt cache (Claude; part of inputTokens); 0 for Codex. Absent from older servers. */
  cacheWrite5mTokens?: number;
  cacheWrite1hTokens?: number;
  totalTokens: number;
}

/** `usage` on list items, search items and the one-session summary (docs/usage.md); null while not indexed. */
export interface SessionUsage extends TokenCounts {
  costUSD: number | null;
  models: string[];
}

export interface SessionSummary {
  id: string;
  path: string;
  createdAt: string;
  updatedAt: string;
  sizeBytes: number;
  title: string | null;
  name: string | null;
  cwd: string | null;
  source: string;
  originator: string | null;
  cliVersion: string | null;
  modelProvider: string;
  git: GitInfo | null;
  forkedFromId: string | null;
  archived: boolean;
  /** Which agent wrote it (SPEC section 12); absent on servers that serve Codex only. */
  agent?: Agent;
  /** The machine that pushed it: team mode only (docs/team.md). */
  machine?: string;
  /** Absent on servers without usage counting, null while the session is not indexed yet. */
  usage?: SessionUsage | null;
}

export interface ConversationsPage {
  items: SessionSummary[];
  nextCursor: string | null;
  numScannedFiles: number;
  reachedScanCap: boolean;
}

export interface SearchMatch {
  line: number;
  timestamp: string | null;
  role: 'user' | 'assistant' | 'tool' | 'reasoning';
  kind: string;
  snippet: string;
  ranges: [number, number][];
}

export interface SearchItem extends SessionSummary {
  matchCount: number;
  matches: SearchMatch[];
}

export interface SearchPage {
  items: SearchItem[];
  nextCursor: string | null;
}

export interface ModelUsage extends TokenCounts {
  costUSD: number | null;
}

export interface UsageRow extends TokenCounts {
  /** The day, week, month, model, cwd, source, provider or session id; null when unknown (no time, no cwd). */
  key: string | null;
  costUSD: number | null;
  sessions: number;
  byModel: Record<string, ModelUsage>;
}

export interface UsageReport {
  groupBy: string;
  tz: string;
  rows: UsageRow[];
  /** Rows left out by `limit` (the totals still count them). */
  rowsOmitted: number;
  totals: TokenCounts & { costUSD: number | null };
  unpricedModels: string[];
  pricing: { asOf: string; source: string };
}

export interface TurnUsage extends TokenCounts {
  turnId: string | null;
  model: string;
  at: string;
  costUSD: number | null;
}

export interface ConversationUsage {
  id: string;
  totals: TokenCounts & { costUSD: number | null };
  byModel: Record<string, ModelUsage>;
  turns: TurnUsage[];
  contextWindow: number | null;
  peakInputTokens: number | null;
  unpricedModels: string[];
}

/** `data` of `event: session` on GET /events (docs/live.md). */
export interface SessionEvent {
  change: 'created' | 'updated' | 'removed' | 'archived' | 'unarchived' | 'renamed';
  session: SessionSummary;
}

/** An RFC 9457 problem, as every error of the API is sent. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** AMBIGUOUS_ID of a team server: the machines the id is on. */
  machines?: unknown[];
}

/** `index` of GET /readyz: the metadata index's progress. */
export interface IndexProgress {
  state: 'disabled' | 'building' | 'ready' | 'failed' | 'rebuilding';
  reason: string | null;
  complete: boolean;
  filesInIndex: number;
  filesCheckedThisPass: number;
  lastPassMs: number | null;
}

/** GET /readyz (200 or 503, the same body). */
export interface Readiness {
  status: string;
  degraded: string[];
  index: IndexProgress;
  /** Each agent's source and whether it is served (absent on servers that serve Codex only). */
  sources?: { agent: Agent; served: boolean }[];
  /** `team` on a team server (absent over one home), with every machine that pushed sessions. */
  mode?: 'team';
  machines?: string[];
}
