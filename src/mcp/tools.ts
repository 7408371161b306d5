import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { summaryFields } from '../http/list-body.js';
import type { SessionRepository } from '../rollout/repository.js';
import type { SessionSummary } from '../rollout/types.js';
import { fitted, MAX_RESULT_BYTES, result, sizeOf, toolError } from './results.js';
import { ListSessionsArgs, ReadSessionArgs, SearchSessionArgs, SearchSessionsArgs, SessionUsageArgs } from './schemas.js';
import { TeamArgs, UsageReportArgs } from './schemas.js';
import { pageText, piecePreamble, sessionSearchText, sessionUsageText, usageReportText } from './text.js';

/** Every tool only reads, reads the same answer twice, and reads only this service's sessions. */
const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** A session summary exactly as the REST API writes it. */
export const restSummary = (s: SessionSummary) => JSON.parse(`${summaryFields(s)}}`) as Record<string, unknown>;

/** Bytes of a transcript piece's Markdown: what is left of a result for the text, after its structured part. */
const PIECE_BYTES = MAX_RESULT_BYTES - 4_000;

/** A tool's run, with a repository failure answered as a tool error carrying its code. */
async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (err) {
    return toolError(err);
  }
}

/**
 * What one MCP server offers (docs/mcp.md, "Team mode"). `team`: the repository is a team server's
 * (its tools take `machine`). `usageOnly`: a team `usage` token's, which sees aggregates only, as
 * on the REST routes: only usage_report, never grouped by session (its keys are session ids).
 */
export interface McpAccess {
  team: boolean;
  usageOnly: boolean;
}

export const LOCAL_ACCESS: McpAccess = { team: false, usageOnly: false };

const SINGLE_ARGS = {
  list_sessions: ListSessionsArgs,
  search_sessions: SearchSessionsArgs,
  read_session: ReadSessionArgs,
  search_session: SearchSessionArgs,
  session_usage: SessionUsageArgs,
  usage_report: UsageReportArgs,
};

/** The error a usage token gets for what its role does not cover (the REST routes' 403 code). */
const wrongRole = (detail: string): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text: `WRONG_ROLE: ${detail}` }],
  structuredContent: { code: 'WRONG_ROLE', detail },
});

/** The machine a tool's `machine` argument chooses, as findById takes it (absent: any machine). */
const chosen = (a: { machine?: string | undefined }) => (a.machine === undefined ? undefined : [a.machine]);

/** The tools of docs/mcp.md on `server`: each calls the repository, as the REST routes do, never HTTP. */
export function registerTools(server: McpServer, repository: SessionRepository, access: McpAccess = LOCAL_ACCESS): void {
  /**
   * `signal`: the SDK's for the call, aborted when the client cancels it (`notifications/cancelled`)
   * or its transport closes (over HTTP, the connection: src/http/mcp.ts closes it), so that a scan
   * nobody waits for stops, as the REST routes' does when their client goes away.
   */
  type Run<S extends z.ZodType> = (args: z.infer<S>, signal: AbortSignal) => Promise<CallToolResult>;
  const tool = <S extends z.ZodType>(name: string, title: string, description: string, inputSchema: S, run: Run<S>) => {
    if (access.usageOnly && name !== 'usage_report') return;
    const config = { title, description, inputSchema: inputSchema as never, annotations: { ...READ_ONLY, title } };
    const handler = (args: z.infer<S>, extra: { signal: AbortSignal }) => guarded(() => run(args, extra.signal));
    server.registerTool(name, config, handler as never);
  };
  // Typed as the team's (a superset): over one home the schemas have no `machine`, so it is never set.
  const args = (access.team ? TeamArgs : SINGLE_ARGS) as typeof TeamArgs;

  tool(
    'list_sessions',
    'List sessions',
    'Sessions of the served agents (Codex CLI, Claude Code), newest first, with their agent, title, project (cwd), times and token ' +
      'usage. Filters (agent among them) and paging as GET /conversations; ' +
      'pass nextCursor back as cursor for the next page. Read one with read_session.',
    args.list_sessions,
    (a) =>
      fitted(a.limit ?? 20, async (limit) => {
        const page = await repository.listPage({ archived: 'false', includeEmpty: false, order: 'desc', ...a, limit, head: 0, tail: 0 });
        const items = page.items.map((item) => ({ ...restSummary(item), head: [], tail: [] }));
        return { items, nextCursor: page.nextCursor, numScannedFiles: page.numScannedFiles, reachedScanCap: page.reachedScanCap };
      }, (v) => pageText(v.items, v.nextCursor)),
  );

  tool(
    'search_sessions',
    'Search sessions',
    'Sessions whose messages (or tool calls and outputs, scope=tools) contain q, newest first, with snippets of the matching records ' +
      '(their line numbers). As GET /search. Use it to find "the session where we fixed X", then read_session or search_session.',
    args.search_sessions,
    (a, signal) =>
      fitted(a.limit ?? 10, async (limit) => {
        const defaults = { match: 'phrase', scope: 'messages', matches: 3, archived: 'false', includeEmpty: false, order: 'desc' } as const;
        const page = await repository.search({ ...defaults, ...a, limit }, undefined, signal);
        const items = page.items.map((item) => ({ ...restSummary(item), matchCount: item.matchCount, matches: item.matches }));
        return { items, nextCursor: page.nextCursor, reachedScanCap: page.reachedScanCap };
      }, (v) => pageText(v.items, v.nextCursor)),
  );

  tool(
    'read_session',
    'Read a session',
    'A session as a Markdown transcript (header, then turns: user and assistant messages, reasoning summaries, tool calls and outputs), ' +
      `secrets redacted by default. At most ${MAX_RESULT_BYTES.toLocaleString('en-US')} bytes a call: while nextCursor is not null, ` +
      'call again with it as cursor to read on. Tool outputs are bounded (their head and tail).',
    args.read_session,
    async (a) => {
      const file = await repository.findById(a.id, chosen(a));
      const lease = await repository.leaseFor('conversation');
      try {
        const options = { tools: a.tools ?? 'full', reasoning: a.reasoning ?? true, redact: a.redact ?? true, maxBytes: PIECE_BYTES };
        const piece = await repository.transcriptPiece(file, { ...options, cursor: a.cursor });
        const turns = piece.turns === null ? null : { first: piece.turns[0], last: piece.turns[1] };
        const on = a.machine === undefined ? {} : { machine: a.machine };
        const structured = { id: file.id, ...on, turns, nextCursor: piece.nextCursor, redactions: piece.redactions };
        return result(piecePreamble(structured) + piece.markdown, structured);
      } finally {
        lease.release();
      }
    },
  );

  tool(
    'search_session',
    'Search one session',
    'The records of one session that contain q, in file order, with their line numbers and snippets. As GET /conversations/{id}/search.',
    args.search_session,
    async (a, signal) => {
      const file = await repository.findById(a.id, chosen(a));
      return fitted(a.limit ?? 20, async (limit) => {
        const { machine: _chosen, ...request } = a;
        const page = await repository.searchSession(file, { match: 'phrase', scope: 'messages', ...request, limit }, signal);
        return { matches: page.matches, nextCursor: page.nextCursor };
      }, (v) => sessionSearchText(v.matches, v.nextCursor));
    },
  );

  tool(
    'session_usage',
    "A session's token usage",
    "One session's tokens and cost: totals, per model and per turn, context window, rate limits. As GET /conversations/{id}/usage.",
    args.session_usage,
    async (a, signal) => {
      const file = await repository.findById(a.id, chosen(a));
      // As GET /conversations/{id}/usage: the read's working set, and what the count holds as it grows, from the budget.
      const lease = await repository.leaseFor('usage', 0, signal);
      let usage;
      try {
        usage = await repository.sessionUsage(file, lease, signal);
      } finally {
        lease.release();
      }
      const value: Record<string, unknown> & typeof usage & { turnsOmitted?: number } = { ...usage };
      // A session of thousands of turns: its first turns, within the bound, and how many were left out.
      while (sizeOf(sessionUsageText(value), value) > MAX_RESULT_BYTES && value.turns.length > 0) {
        const keep = Math.floor(value.turns.length / 2);
        value.turnsOmitted = usage.turns.length - keep;
        value.turns = usage.turns.slice(0, keep);
      }
      return result(sessionUsageText(value), value);
    },
  );

  tool(
    'usage_report',
    'Usage report',
    'Tokens and cost of all sessions, grouped by day, week, month, model, cwd, source, provider, session or agent, with totals. ' +
      'As GET /usage.',
    args.usage_report,
    (a, signal) =>
      access.usageOnly && a.groupBy === 'session'
        ? Promise.resolve(wrongRole('a usage token may not group by session: its keys are session ids'))
        : fitted(
        a.limit ?? 100,
        async (limit) => ({ ...(await repository.usage({ groupBy: 'day', tz: 'UTC', archived: 'all', ...a, limit }, signal)) }),
        (v) => usageReportText(v),
      ),
  );
}
