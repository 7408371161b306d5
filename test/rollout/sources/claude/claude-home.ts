// Helpers for the Claude source's tests: the real home, temp homes, and reading a home the
// way the source reads it (discovery, then each file's lines in order).
import { cp, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome } from '../../../helper.js';
import { discoverClaudeFiles, type ClaudeFile } from '../../../../src/rollout/sources/claude/discovery.js';
import { findClaudeHome, type ClaudeHome } from '../../../../src/rollout/sources/claude/home.js';
import { MemoryBudget } from '../../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../../../src/rollout/reading/session-reader.js';
import { readClaudeContent } from '../../../../src/rollout/sources/claude/conversation.js';
import { countClaudeResponses, type ClaudeResponse } from '../../../../src/rollout/sources/claude/usage-counter.js';
import type { JsonRecord, RolloutLogger } from '../../../../src/rollout/types.js';

/** Real transcripts written by Claude Code CLI 2.1.197 (copied from the product's shared fixtures, read-only in tests). */
export const REAL_CLAUDE_HOME = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/claude-home-real');

export const quietLog: RolloutLogger = { debug: () => {}, warn: () => {} };

/** Warnings a test expects (or not), collected. */
export function recordingLog(): RolloutLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, warn: (_obj, msg) => warnings.push(msg ?? '') };
}

export async function realHome(): Promise<ClaudeHome> {
  const home = await findClaudeHome(REAL_CLAUDE_HOME);
  if (home === null) throw new Error('the real Claude fixture home is missing');
  return home;
}

/** A fresh Claude home with an empty `projects/`, removed after the test. */
export async function tempClaudeHome(): Promise<string> {
  const dir = await tempHome();
  await mkdir(join(dir, 'projects'));
  return dir;
}

/** A writable copy of the real Claude home. */
export async function copyOfRealClaudeHome(): Promise<string> {
  const dir = await tempHome();
  await cp(REAL_CLAUDE_HOME, dir, { recursive: true });
  await chmod(dir, 0o755);
  return dir;
}

/** Writes `lines` (objects as JSON, strings as they are) as a JSONL file, creating its directories. */
export async function writeJsonl(path: string, lines: (JsonRecord | string)[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join(''));
}

export async function allFiles(home: ClaudeHome): Promise<ClaudeFile[]> {
  const files: ClaudeFile[] = [];
  for await (const f of discoverClaudeFiles(home, quietLog)) files.push(f);
  return files;
}

/** The records of a file in order (lines that are not JSON objects are skipped, as the readers skip them). */
export async function recordsOf(path: string): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(value as JsonRecord);
    } catch {
      // not a record
    }
  }
  return out;
}

/** Every counted response of a home, by file (relative path), after the cross-file rules: read the way the source reads. */
export async function countedByFile(home: ClaudeHome): Promise<Map<string, ClaudeResponse[]>> {
  const env: ReadEnv = { realRoot: home.realHome, limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(64 * 1024 * 1024, 5_000) };
  const perFile = [];
  for (const file of await allFiles(home)) {
    const content = await readClaudeContent(file, env);
    const { summary } = content.scanner.summary(file, { size: 0, mtimeMs: 0 });
    perFile.push({ file: file.relPath, createdAt: summary.createdAt, responses: content.responses });
  }
  return countClaudeResponses(perFile);
}
