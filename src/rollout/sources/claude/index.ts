import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { Degradations } from '../../degraded.js';
import type { ReadEnv } from '../../reading/session-reader.js';
import type { ArchivedFilter, JsonRecord, RolloutFile, RolloutLogger, SortOrder } from '../../types.js';
import type { SearchDoc } from '../common/search-doc.js';
import { UUID } from '../common/fields.js';
import type { HomeState, OpenConversation, SessionSource, SessionWalker } from '../source.js';
import { openClaudeConversation } from './conversation.js';
import { classifyClaudePath, discoverClaudeFiles, type ClaudeFile } from './discovery.js';
import { findClaudeHome, PROJECTS_DIR } from './home.js';
import { readClaudeSessionFile } from './reader.js';
import { claudeSearchDocs } from './search-extract.js';
import { ClaudeSessionScanner, claudeRolloutFile } from './session-head.js';
import { ClaudeUsageCounter, type ClaudeCounterState } from './usage-counter.js';

/** The shapes of the Claude source (SourceShapes). */
export interface ClaudeShapes {
  walker: ClaudeWalker;
  counter: ClaudeUsageCounter;
  counterState: ClaudeCounterState;
  record: JsonRecord;
  extractState: null;
  /** An older line with several kinds of blocks gives one doc per role (docs/claude.md, "Search"). */
  doc: readonly SearchDoc[];
  conversation: OpenConversation;
}

const FIRST_STAMP = '0000-01-01T00-00-00';
const LAST_STAMP = '9999-12-31T23-59-59';
const KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})\|([0-9a-fA-F-]{36})$/;

/** The ClaudeFile a RolloutFile names (null: its path is not a Claude transcript's). */
export function claudeFileOf(file: RolloutFile): ClaudeFile | null {
  const kind = classifyClaudePath(file.relPath);
  return kind?.kind === 'session' ? { ...kind.file, absPath: file.absPath } : null;
}

const silent: RolloutLogger = { debug: () => undefined, warn: () => undefined };

/**
 * A Claude file as the layers above take it, before its head is read: its key's stamp is the
 * first of all stamps, a placeholder, because only the first timestamp in the file orders it
 * (`orderingKey` says null). A listing read gives the real key (`claudeRolloutFile`).
 */
const unread = (file: ClaudeFile): RolloutFile => claudeRolloutFile(file, '0000-01-01T00:00:00.000Z');

/**
 * Discovery of a Claude home (`projects/`): every transcript in path order, a session's
 * sub-agents right after it. The tree has no dates, so `numericDirs` is empty, date bounds do not
 * apply, and there is no archive.
 */
export class ClaudeWalker implements SessionWalker {
  constructor(
    readonly home: string,
    private readonly log: RolloutLogger = silent,
  ) {}

  async roots(): Promise<{ realHome: string }> {
    return { realHome: await realpath(this.home) };
  }

  absPath(relPath: string): string {
    return join(this.home, relPath);
  }

  numericDirs(): Promise<string[]> {
    return Promise.resolve([]);
  }

  async filesIn(relDir: string, order: SortOrder, id?: string): Promise<RolloutFile[]> {
    const out: RolloutFile[] = [];
    for await (const file of this.everyFile()) {
      const dir = file.relPath.slice(0, file.relPath.lastIndexOf('/'));
      if (dir === relDir && (id === undefined || file.id === id.toLowerCase())) out.push(file);
    }
    return order === 'asc' ? out : out.reverse();
  }

  fileAt(relPath: string): RolloutFile | null {
    const kind = classifyClaudePath(relPath);
    return kind?.kind === 'session' ? unread({ ...kind.file, absPath: this.absPath(relPath) }) : null;
  }

  async *everyFile(): AsyncGenerator<RolloutFile> {
    const home = await findClaudeHome(this.home);
    if (home === null) return;
    for await (const file of discoverClaudeFiles(home, this.log)) yield unread(file);
  }

  async *walk(archived: ArchivedFilter, order: SortOrder, afterKey?: string): AsyncGenerator<RolloutFile> {
    if (archived === 'true') return; // Claude Code has no archive
    const files: RolloutFile[] = [];
    for await (const file of this.everyFile()) files.push(file);
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (order === 'desc') files.reverse();
    for (const file of files) {
      if (afterKey !== undefined && (order === 'asc' ? file.key <= afterKey : file.key >= afterKey)) continue;
      yield file;
    }
  }
}

function asClaude(file: RolloutFile): ClaudeFile {
  const claude = claudeFileOf(file);
  if (claude === null) throw new Error(`not a Claude transcript path: ${file.relPath}`);
  return claude;
}

async function claudeHomeState(home: string): Promise<HomeState> {
  return (await findClaudeHome(home)) === null ? 'no-sessions' : 'ready';
}

/**
 * Claude Code sessions: `projects/<encoded cwd>/<id>.jsonl` and their sub-agents, ordered by
 * their first timestamp (UTC) and id, known only after a head read (docs/claude.md).
 */
export const claudeSource: SessionSource<ClaudeShapes> = {
  agent: 'claude',
  walker: (home: string, _degraded?: Degradations) => new ClaudeWalker(home),
  watch: {
    roots: [PROJECTS_DIR],
    isTreeDir: (rel: string) => {
      const kind = classifyClaudePath(rel)?.kind;
      return kind !== undefined && kind !== 'session';
    },
    holdsSessions: (rel: string) => {
      const kind = classifyClaudePath(rel)?.kind;
      return kind === 'project' || kind === 'subagents-dir';
    },
    namesFile: null,
  },
  orderingKey: () => null,
  parseKey: (text: string) => {
    const m = KEY.exec(text);
    return m !== null && UUID.test(m[2] as string) ? `${m[1]}|${(m[2] as string).toLowerCase()}` : null;
  },
  keyBounds: { first: `${FIRST_STAMP}|00000000-0000-0000-0000-000000000000`, last: `${LAST_STAMP}|ffffffff-ffff-ffff-ffff-ffffffffffff` },
  readListing: async (file: RolloutFile, headCount: number, tailCount: number, env: ReadEnv, log: RolloutLogger) => {
    const read = await readClaudeSessionFile(asClaude(file), headCount, tailCount, env, log);
    if (read?.read == null) return read;
    const { facts: _facts, ...rest } = read.read;
    return { stat: read.stat, read: rest };
  },
  // Claude Code keeps names in the transcript itself (ai-title, custom-title): there is no names file.
  openConversation: async (file: RolloutFile, _name: string | null, env: ReadEnv, log: RolloutLogger) => {
    const { facts: _facts, ...conversation } = await openClaudeConversation(asClaude(file), env, log);
    return conversation;
  },
  usageCounter: (state?: ClaudeCounterState) => new ClaudeUsageCounter(state),
  search: {
    initial: () => null,
    docOf: (record: JsonRecord) => {
      const docs = claudeSearchDocs(record);
      return docs.length === 0 ? null : docs;
    },
  },
  homeState: claudeHomeState,
  names: () => ({ load: () => Promise.resolve(new Map<string, string>()) }),
  summaryOfPath: (file: RolloutFile) => new ClaudeSessionScanner().summary(asClaude(file), { size: 0, mtimeMs: Date.now() }).summary,
  filesClaiming: async (walker: SessionWalker, id: string) => {
    const out: RolloutFile[] = [];
    for await (const file of walker.everyFile()) if (file.id === id) out.push(file);
    return out;
  },
  isArchivedPath: () => false,
  movedPath: (file: RolloutFile) => file.relPath,
  recentDirs: () => Promise.resolve([]),
};
