import { claudeAsTokens } from '../sources/common/tokens.js';
import type { ClaudeResponse, UsageResponse } from '../sources/common/usage-response.js';
import { countClaudeResponses, type ClaudeFileResponses } from '../sources/claude/usage-counter.js';
import { claude } from '../sources/registry.js';
import type { ReadEnv } from '../reading/session-reader.js';
import { fileContentLines } from '../sources/codex/content-lines.js';
import type { JsonRecord, RolloutFile } from '../types.js';
import { abandoned } from '../search/search-work.js';
import type { HeldMemory } from './session-usage.js';

// Claude's counted responses in the layout every usage aggregate has (docs/usage.md, "Both
// agents"), so that grouping, the index's tables and pricing serve both agents unchanged.

/** A Claude response as a UsageResponse: tokens in the common layout, no thread, its chain in `sidechain`. */
export function claudeUsageResponse(r: ClaudeResponse): UsageResponse {
  return {
    responseKey: r.responseKey,
    threadId: null,
    lineNo: r.lineNo,
    at: r.at,
    model: r.model,
    turnId: r.turnId,
    source: 'record',
    sidechain: r.sidechain,
    ...claudeAsTokens(r),
    totalTokens: r.totalTokens,
  };
}

/** Memory of one ClaudeResponse kept until the count is done (its key, model, ids and tokens). */
const RESPONSE_BYTES = 512;

/** How a read of one file takes part in its request: the client's signal, and the lease what it keeps grows from. */
export interface ClaudeReadWork {
  signal?: AbortSignal | undefined;
  held?: HeldMemory | undefined;
}

/**
 * A Claude file's responses in file order, as its counter returns them (before the home-wide
 * rules). Stops at the next line once `work.signal` aborts; what it keeps is covered by
 * `work.held` as it grows (as a Codex session's count, readSessionUsage).
 */
export async function readClaudeResponses(file: RolloutFile, env: ReadEnv, work: ClaudeReadWork = {}): Promise<ClaudeResponse[]> {
  const { signal, held } = work;
  const counter = claude.usageCounter();
  const responses: ClaudeResponse[] = [];
  // A count reads numbers and ids: a long line's long strings (its text blocks) are cut before parsing.
  for await (const content of fileContentLines(file, { ...env, cutLongStrings: true })) {
    if (signal?.aborted) throw abandoned();
    const { line } = content;
    const response = line.record === null ? null : counter.feed(line.record as JsonRecord, line.lineNo);
    // The line readers' suspended frames still name this line while the next one is read and
    // parsed (a wait for the line pool): a 15 MiB record would outlive its parse's lease by that.
    content.record = line.record = null;
    if (response === null) continue;
    responses.push(response);
    const bytes = responses.length * RESPONSE_BYTES;
    if (held?.needs(bytes)) await held.cover(bytes);
  }
  return responses;
}

/** Rules 1-2 of docs/claude.md over every Claude file of the home: each file's counted responses, in the common layout. */
export function countedClaudeResponses(files: readonly ClaudeFileResponses[]): Map<string, UsageResponse[]> {
  const counted = countClaudeResponses(files);
  return new Map([...counted].map(([file, responses]) => [file, responses.map(claudeUsageResponse)]));
}

