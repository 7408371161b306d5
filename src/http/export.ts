import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SessionRepository } from '../rollout/repository.js';
import { BODY_HIGH_WATER_MARK, byteStream } from './byte-stream.js';
import { IdParams, problemResponses } from './schemas.js';
import { machineChoice, chosenMachine } from './filter-schemas.js';
import { requestLease } from './request-lease.js';

export const EXPORT_DEFAULTS = { format: 'markdown', tools: 'full', reasoning: true, redact: true } as const;

const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Enum(['markdown', 'html'], {
        default: EXPORT_DEFAULTS.format,
        description: 'markdown (text/markdown) or html (one self-contained page)',
      }),
    ),
    tools: Type.Optional(
      Type.Enum(['full', 'summary', 'none'], {
        default: EXPORT_DEFAULTS.tools,
        description: 'full: commands, patches and outputs (bounded); summary: one line per call; none: no tool calls',
      }),
    ),
    reasoning: Type.Optional(Type.Boolean({ default: EXPORT_DEFAULTS.reasoning, description: 'Include reasoning summaries' })),
    redact: Type.Optional(Type.Boolean({ default: EXPORT_DEFAULTS.redact, description: 'Replace secrets with [REDACTED:<kind>]' })),
    ...machineChoice,
  },
  { additionalProperties: false },
);

/** The page's own policy, repeated as a header: no script, no request anywhere, inline styles only. */
const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; sandbox";

/** Bytes of a redacted export kept in memory before the rest goes to a temporary file (see spool). */
export const SPOOL_MEMORY_BYTES = 4 * 1024 * 1024;

/** Pieces of text as buffers of about BODY_HIGH_WATER_MARK bytes. */
async function* batched(pieces: AsyncIterable<string>): AsyncGenerator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  for await (const piece of pieces) {
    parts.push(piece);
    size += piece.length;
    if (size >= BODY_HIGH_WATER_MARK) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.from(parts.join(''), 'utf8');
}

/**
 * A redacted export is produced whole before it is sent, because its count of redactions is a
 * response header: the first SPOOL_MEMORY_BYTES in memory, the rest in a temporary file outside
 * the Codex home, unlinked as soon as it is open (nothing is left behind, even by a crash).
 * Memory stays bounded whatever the session's size; `gone` stops the work when the client leaves.
 */
async function spool(
  pieces: AsyncIterable<Buffer>,
  memoryBytes: number,
  gone: () => boolean,
): Promise<{ length: number; body: Buffer | Readable } | null> {
  const held: Buffer[] = [];
  let length = 0;
  let file: FileHandle | null = null;
  try {
    for await (const piece of pieces) {
      if (gone()) return null;
      length += piece.length;
      if (file === null && length <= memoryBytes) {
        held.push(piece);
        continue;
      }
      if (file === null) {
        const dir = await mkdtemp(join(tmpdir(), 'codex-sessions-export-'));
        file = await open(join(dir, 'export'), 'w+', 0o600);
        await rm(dir, { recursive: true, force: true });
        for (const h of held.splice(0)) await file.write(h);
      }
      await file.write(piece);
    }
    if (file === null) return { length, body: Buffer.concat(held, length) };
    const stream = createReadStream('', { fd: file.fd, start: 0, autoClose: false, highWaterMark: BODY_HIGH_WATER_MARK });
    const handle = file;
    stream.once('close', () => void handle.close());
    file = null; // the stream owns it now
    return { length, body: stream };
  } finally {
    await file?.close();
  }
}

export const exportRoutes: FastifyPluginAsyncTypebox<{ repository: SessionRepository }> = async (app, { repository }) => {
  app.get(
    '/conversations/:id/export',
    {
      schema: {
        summary: 'One session as Markdown or one self-contained HTML page, secrets redacted by default',
        description:
          'A header (title, id, project, branch, model, times, tokens, cost), then the turns: messages, reasoning summaries ' +
          '(reasoning=true), tool calls with commands, patches as diffs and outputs (bounded: see docs/export.md). ' +
          'With redact=true (the default) secrets become [REDACTED:<kind>] and X-Redactions counts them.',
        tags: ['conversations'],
        params: IdParams,
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The transcript',
            headers: { 'x-redactions': { type: 'integer', description: 'Secrets redacted (only with redact=true)' } },
            content: { 'text/markdown': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } },
          },
          ...problemResponses(
            'INVALID_ID',
            'INVALID_QUERY',
            'UNAUTHORIZED',
            'FORBIDDEN',
            'NOT_FOUND',
            'AMBIGUOUS_ID',
            'SCAN_FAILED',
            'SERVICE_UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      const query = { ...EXPORT_DEFAULTS, ...request.query };
      const file = await repository.findById(request.params.id, chosenMachine(request.query));
      const lease = await requestLease(repository, request, reply, 'conversation');
      const exported = await repository.exportSession(file, query);
      const html = query.format === 'html';
      reply
        .type(html ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8')
        .header('content-disposition', `attachment; filename="codex-session-${exported.summary.id}.${html ? 'html' : 'md'}"`)
        .header('cache-control', 'no-cache, private')
        .header('x-content-type-options', 'nosniff');
      if (html) reply.header('content-security-policy', HTML_CSP);
      const body = batched(exported.pieces);
      if (!query.redact) return reply.send(byteStream(body, () => exported.close()) as never);
      let spooled;
      try {
        // Memory for what the spool holds, only while the budget has it free: else straight to disk, never waiting.
        const memoryBytes = lease.tryTake(SPOOL_MEMORY_BYTES) ? SPOOL_MEMORY_BYTES : 0;
        spooled = await spool(body, memoryBytes, () => request.raw.socket.destroyed);
      } finally {
        await exported.close();
      }
      if (spooled === null) {
        reply.raw.destroy(); // the client left while the export was produced
        return reply;
      }
      reply.header('x-redactions', String(exported.redactions() ?? 0)).header('content-length', String(spooled.length));
      return reply.send(spooled.body as never);
    },
  );
};
