import type { FastifyReply } from 'fastify';

/**
 * Adds `field` to the response's Vary header, keeping what is there (CORS adds Origin): a
 * second `reply.header('vary', ...)` would replace it, and caches would then serve one
 * origin's response to another.
 */
export function appendVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  const fields = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (fields.includes('*') || fields.some((f) => f.toLowerCase() === field.toLowerCase())) return;
  reply.header('vary', [...fields, field].join(', '));
}
