import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { KIND_TO_CODE } from '../http/problem.js';
import { RolloutError } from '../rollout/errors.js';

/**
 * Every tool result is at most this many bytes of text: its text content and its structured
 * content (as JSON) together. A page that would be larger is asked again with a smaller limit
 * (so that its nextCursor is exact); a transcript piece is cut at an item boundary below it.
 */
export const MAX_RESULT_BYTES = 100_000;

export const sizeOf = (text: string, structured: unknown) => Buffer.byteLength(text) + Buffer.byteLength(JSON.stringify(structured));

/** A result whose text is `text` and whose structured content is `structured` (the REST answer's shape). */
export function result(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A repository failure as a tool error carrying the API's error code, never a stack or a path outside the home. */
export function toolError(err: unknown): CallToolResult {
  if (!(err instanceof RolloutError)) throw err;
  const code = KIND_TO_CODE[err.kind];
  const detail = code === 'SCAN_FAILED' ? 'the session could not be read; see the server log' : err.message;
  const machines = err.machines === undefined ? {} : { machines: [...err.machines] };
  return { isError: true, content: [{ type: 'text', text: `${code}: ${detail}` }], structuredContent: { code, detail, ...machines } };
}

/**
 * Runs a paged query with `limit`, halving it while the result is over MAX_RESULT_BYTES. At a
 * limit of 1, strings longer than 2,000 characters (a title can be a whole pasted file) are cut.
 */
export async function fitted<T extends Record<string, unknown>>(
  limit: number,
  run: (limit: number) => Promise<T>,
  render: (value: T) => string,
): Promise<CallToolResult> {
  for (let n = limit; ; n = Math.floor(n / 2)) {
    const value = await run(n);
    const text = render(value);
    if (sizeOf(text, value) <= MAX_RESULT_BYTES) return result(text, value);
    if (n <= 1) {
      const cut = shortened(value) as T;
      return result(render(cut).slice(0, MAX_RESULT_BYTES / 4), cut);
    }
  }
}

function shortened(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 2000 ? `${value.slice(0, 2000)}…` : value;
  if (Array.isArray(value)) return value.map(shortened);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortened(v)]));
  return value;
}
