import { isFileLocalKey, type UsageResponse } from '../sources/common/usage-response.js';
import type { RolloutFile } from '../types.js';
import type { PriceBook } from './pricing.js';
import { HeldMemory, TurnTallies, type CountMemory, type SessionUsage } from './session-usage.js';
import { countedOf, withEveryFile, type UsageDeps } from './usage-report.js';
import type { UsageIndex } from './usage-index.js';
import { countedClaudeResponses, readClaudeResponses, type ClaudeReadWork } from './claude-usage.js';

/**
 * `GET /conversations/:id/usage` of a Claude session: its responses that the home-wide rules
 * count in it (a response another file carries on the main chain, or in an older file, is
 * counted there, as in the list and GET /usage), by turn (the prompt they answer). Which copy
 * counts depends on every file of the home: they are read as GET /usage reads them without an
 * index (at most --max-scan-files, else 503), or, with a complete index, only its owners are asked.
 */
export async function claudeSessionUsage(
  deps: UsageDeps,
  file: RolloutFile,
  prices: PriceBook,
  memory?: CountMemory,
  signal?: AbortSignal,
): Promise<SessionUsage> {
  const work = { signal, held: new HeldMemory(memory) };
  const counted = deps.index?.usable
    ? await countedWithIndex(deps, deps.index, file, work)
    : await withEveryFile(deps, (read) => countedOf(deps, read).get(file.relPath) ?? [], signal);
  const turns = new TurnTallies();
  for (const r of [...counted].sort((a, b) => a.lineNo - b.lineNo)) turns.add(r);
  return turns.document(file.id, prices, {
    contextWindow: null,
    peakInputTokens: counted.reduce((peak, r) => Math.max(peak, r.inputTokens), 0),
    rateLimits: null,
  });
}

/** This file's counted responses: its own copies, less the responses the index counts in another file. */
async function countedWithIndex(deps: UsageDeps, index: UsageIndex, file: RolloutFile, work: ClaudeReadWork): Promise<UsageResponse[]> {
  const mine = await readClaudeResponses(file, deps.env, work);
  const shared = [...new Set(mine.map((r) => r.responseKey).filter((k) => !isFileLocalKey(k)))];
  const elsewhere = shared.length === 0 ? new Set<string>() : ((await index.countedElsewhere?.(file.relPath, shared)) ?? null);
  // A file the index has not read yet: ask the files.
  if (elsewhere === null) return withEveryFile(deps, (read) => countedOf(deps, read).get(file.relPath) ?? [], work.signal);
  const own = mine.filter((r) => !elsewhere.has(r.responseKey));
  // One copy per response in the file itself (the main-chain one, else the first).
  return countedClaudeResponses([{ file: file.relPath, createdAt: '', responses: own }]).get(file.relPath) ?? [];
}
