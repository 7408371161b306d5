import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SessionRepository } from '../rollout/repository.js';
import { MAX_RESULT_BYTES } from './results.js';
import { LOCAL_ACCESS, registerTools, type McpAccess } from './tools.js';

const VERSION = '0.1.0';

/** Sessions listed as resources: the newest this many (every session can be read by its URI). */
const LISTED_RESOURCES = 100;

/**
 * An MCP server over the repository (docs/mcp.md): the six read-only tools, and each session as a
 * Markdown resource `codex-sessions://session/{id}` (the export, redacted, its first piece: a
 * session longer than one result says so and points to read_session).
 */
export function createMcpServer(repository: SessionRepository, access: McpAccess = LOCAL_ACCESS): McpServer {
  const instructions = access.usageOnly
    ? 'Token usage and cost of a team\'s coding-agent sessions (Codex CLI, Claude Code), in aggregates (usage_report); ' +
      'this token sees no session.'
    : 'Read-only access to coding-agent session history (Codex CLI, Claude Code): find past sessions ' +
      '(search_sessions, list_sessions), read them ' +
      '(read_session, in pieces with nextCursor), and their token usage and cost (session_usage, usage_report).' +
      (access.team ? ' Sessions come from several machines: items name theirs; pass `machine` when an id is on several.' : '');
  const server = new McpServer({ name: 'codex-sessions', version: VERSION }, { instructions });
  registerTools(server, repository, access);
  // A usage token sees no session: no resources (their URIs are session ids, their text the sessions).
  if (access.usageOnly) return server;
  server.registerResource(
    'session',
    new ResourceTemplate('codex-sessions://session/{id}', {
      list: async () => {
        const query = { limit: LISTED_RESOURCES, head: 0, tail: 0, order: 'desc', archived: 'false', includeEmpty: false } as const;
        const page = await repository.listPage(query);
        return {
          resources: page.items.map((s) => ({
            uri: `codex-sessions://session/${s.id}`,
            name: s.name ?? s.title ?? s.id,
            mimeType: 'text/markdown',
            description: `${s.createdAt} · ${s.cwd ?? ''}`,
          })),
        };
      },
    }),
    { title: 'Agent session', description: 'A session as a Markdown transcript, secrets redacted', mimeType: 'text/markdown' },
    async (uri, variables) => {
      const id = String(variables.id);
      const file = await repository.findById(id);
      const lease = await repository.leaseFor('conversation');
      try {
        const options = { tools: 'full', reasoning: true, redact: true, maxBytes: MAX_RESULT_BYTES - 1000 } as const;
        const piece = await repository.transcriptPiece(file, options);
        const rest = piece.nextCursor === null ? '' : `\n\n*… continued: read_session with id "${id}" and cursor "${piece.nextCursor}".*\n`;
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: piece.markdown + rest }] };
      } finally {
        lease.release();
      }
    },
  );
  return server;
}
