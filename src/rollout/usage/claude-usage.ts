import { claudeAsTokens } from '../sources/common/tokens.js';
import type { ClaudeResponse, UsageResponse } from '../sources/common/usage-response.js';
import { countClaudeResponses, type ClaudeFileResponses } from '../sources/claude/usage-counter.js';
import { claude } from '../sources/registry.js';
import type { ReadEnv } from '../reading/session-reader.js';
import { fileContentLines } from '../sources/codex/content-lines.js';
import type { JsonRecord, RolloutFile } from '../types.js';

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

/** A Claude file's responses in file order, as its counter returns them (before the home-wide rules). */
export async function readClaudeResponses(file: RolloutFile, env: ReadEnv): Promise<ClaudeResponse[]> {
  const counter = claude.usageCounter();
  const responses: ClaudeResponse[] = [];
  for await (const { line } of fileContentLines(file, env)) {
    const response = line.record === null ? null : counter.feed(line.record as JsonRecord, line.lineNo);
    if (response !== null) responses.push(response);
  }
  return responses;
}

/** Rules 1-2 of docs/claude.md over every Claude file of the home: each file's counted responses, in the common layout. */
export function countedClaudeResponses(files: readonly ClaudeFileResponses[]): Map<string, UsageResponse[]> {
  const counted = countClaudeResponses(files);
  return new Map([...counted].map(([file, responses]) => [file, responses.map(claudeUsageResponse)]));
}

