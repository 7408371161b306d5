import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_DIR_FILES, UUID } from '../common/fields.js';
import { entryInfo, pathKind, type EntryKind } from '../../files/fs-safety.js';
import { FILES_AT_ONCE } from '../../tuning.js';
import type { RolloutLogger } from '../../types.js';
import { PROJECTS_DIR, type ClaudeHome } from './home.js';
import { subagentSessionId } from './subagent-id.js';

export { subagentSessionId };

/**
 * A Claude Code transcript found on disk, before its contents are read:
 * `projects/<encoded cwd>/<session id>.jsonl`, or a sub-agent's
 * `projects/<encoded cwd>/<session id>/subagents/agent-<agent id>.jsonl`.
 */
export interface ClaudeFile {
  /** The session id (lower case): the file name's, or for a sub-agent one derived from its parent and agent ids (subagentSessionId). */
  id: string;
  absPath: string;
  /** Relative to the Claude home, with `/` separators. */
  relPath: string;
  /** The encoded-cwd directory name (lossy: the real cwd is in the records). */
  projectDir: string;
  /** The main session a sub-agent belongs to; null for a main session. */
  parentId: string | null;
  /** Claude Code's own id of the sub-agent (`agent-<id>.jsonl`); null for a main session. */
  agentId: string | null;
}

const SESSION_FILE = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.jsonl$/;
/** Agent ids seen are 17 hex digits (`a8e81a30845775904`); accept any short id of letters, digits, `-` and `_`. */
const AGENT_FILE = /^agent-([A-Za-z0-9_-]{1,128})\.jsonl$/;
const SUBAGENTS_DIR = 'subagents';

/** What a path relative to the Claude home is to the source: the watch plan's classifier (null: not ours). */
export type ClaudePathKind =
  | { kind: 'projects' }
  | { kind: 'project'; projectDir: string }
  | { kind: 'session'; file: Omit<ClaudeFile, 'absPath'> }
  | { kind: 'session-dir'; projectDir: string; parentId: string }
  | { kind: 'subagents-dir'; projectDir: string; parentId: string };

/** A directory name we may walk into: any name but `.`/`..` (never produced by readdir) or one with a NUL. */
const usableName = (name: string) => name !== '.' && name !== '..' && !name.includes('\0') && !name.includes('/');

export function classifyClaudePath(rel: string): ClaudePathKind | null {
  const parts = rel.split('/');
  if (parts[0] !== PROJECTS_DIR || !parts.every(usableName)) return null;
  const [, projectDir, second, third, fourth] = parts;
  if (projectDir === undefined) return { kind: 'projects' };
  if (second === undefined) return { kind: 'project', projectDir };
  if (third === undefined) {
    const main = SESSION_FILE.exec(second);
    if (main !== null) {
      const id = (main[1] as string).toLowerCase();
      return { kind: 'session', file: { id, relPath: rel, projectDir, parentId: null, agentId: null } };
    }
    return UUID.test(second) ? { kind: 'session-dir', projectDir, parentId: second.toLowerCase() } : null;
  }
  if (!UUID.test(second) || third !== SUBAGENTS_DIR) return null;
  const parentId = second.toLowerCase();
  if (fourth === undefined) return { kind: 'subagents-dir', projectDir, parentId };
  const agent = parts.length === 5 ? AGENT_FILE.exec(fourth) : null;
  if (agent === null) return null;
  const agentId = agent[1] as string;
  return { kind: 'session', file: { id: subagentSessionId(parentId, agentId), relPath: rel, projectDir, parentId, agentId } };
}

/**
 * The entries of one directory that are regular files or directories inside the home (links
 * are followed only when they stay inside it; FIFOs, sockets and devices are left out), at
 * most MAX_DIR_FILES of them: a hostile directory of millions of entries costs a bounded walk.
 */
async function entriesOf(dir: string, realHome: string, log: RolloutLogger, rel: string): Promise<{ name: string; kind: EntryKind }[]> {
  const out: { name: string; kind: EntryKind }[] = [];
  let handle;
  try {
    handle = await opendir(dir);
  } catch (err) {
    log.debug({ path: rel, err: (err as NodeJS.ErrnoException).code }, 'skipping unreadable directory');
    return out;
  }
  let seen = 0;
  try {
    for await (const entry of handle) {
      if (++seen > MAX_DIR_FILES) {
        log.warn({ path: rel, limit: MAX_DIR_FILES }, 'directory has too many entries; the rest are not listed');
        break;
      }
      if (!usableName(entry.name)) continue;
      const info = await entryInfo(entry, join(dir, entry.name), realHome);
      if (info !== null) out.push({ name: entry.name, kind: info.kind });
    }
  } catch (err) {
    log.debug({ path: rel, err: (err as NodeJS.ErrnoException).code }, 'directory read failed part way');
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A session's file before its directory of sub-agents: `<id>.jsonl` and `<id>/` sort as `<id>`. */
function sessionFirst(a: { name: string; kind: EntryKind }, b: { name: string; kind: EntryKind }): number {
  const x = a.name.replace(/\.jsonl$/, '');
  const y = b.name.replace(/\.jsonl$/, '');
  if (x !== y) return x < y ? -1 : 1;
  return a.kind === b.kind ? 0 : a.kind === 'file' ? -1 : 1;
}

/**
 * Every transcript under `<home>/projects`, main sessions and sub-agents, in path order (a
 * session's sub-agents right after it). Files
 * that are not transcripts (`*.meta.json`, other names, other depths) are ignored, never an
 * error; so are unreadable directories (logged at debug).
 */
export async function* discoverClaudeFiles(home: ClaudeHome, log: RolloutLogger): AsyncGenerator<ClaudeFile> {
  const projectsAbs = join(home.home, PROJECTS_DIR);
  for (const project of await entriesOf(projectsAbs, home.realHome, log, PROJECTS_DIR)) {
    if (project.kind !== 'directory') continue;
    const projectRel = `${PROJECTS_DIR}/${project.name}`;
    const projectAbs = join(projectsAbs, project.name);
    for (const entry of (await entriesOf(projectAbs, home.realHome, log, projectRel)).sort(sessionFirst)) {
      const rel = `${projectRel}/${entry.name}`;
      const kind = classifyClaudePath(rel);
      if (kind?.kind === 'session' && entry.kind === 'file') yield { ...kind.file, absPath: join(projectAbs, entry.name) };
      if (kind?.kind !== 'session-dir' || entry.kind !== 'directory') continue;
      const subRel = `${rel}/${SUBAGENTS_DIR}`;
      const subAbs = join(projectAbs, entry.name, SUBAGENTS_DIR);
      const inSession = await entriesOf(join(projectAbs, entry.name), home.realHome, log, rel);
      if (!inSession.some((e) => e.name === SUBAGENTS_DIR && e.kind === 'directory')) continue;
      for (const agent of await entriesOf(subAbs, home.realHome, log, subRel)) {
        const agentKind = classifyClaudePath(`${subRel}/${agent.name}`);
        if (agentKind?.kind === 'session' && agent.kind === 'file') yield { ...agentKind.file, absPath: join(subAbs, agent.name) };
      }
    }
  }
}

/**
 * The main-session transcripts of `id` (lower case): `projects/<dir>/<id>.jsonl`, one stat per
 * project directory that discovery walks into (the same rule: a directory, or a link to one
 * inside the home), instead of a walk of every file. A sub-agent's id is derived
 * (subagentSessionId), not a file name: only discoverClaudeFiles finds one.
 */
export async function claudeSessionFilesOf(home: ClaudeHome, id: string, log: RolloutLogger): Promise<ClaudeFile[]> {
  const projectsAbs = join(home.home, PROJECTS_DIR);
  const projects = (await entriesOf(projectsAbs, home.realHome, log, PROJECTS_DIR)).filter((p) => p.kind === 'directory');
  const out: ClaudeFile[] = [];
  for (let i = 0; i < projects.length; i += FILES_AT_ONCE) {
    const batch = projects.slice(i, i + FILES_AT_ONCE).map(({ name }) => ({ name, abs: join(projectsAbs, name, `${id}.jsonl`) }));
    const kinds = await Promise.all(batch.map((b) => pathKind(b.abs, home.realHome)));
    batch.forEach((b, j) => {
      const kind = classifyClaudePath(`${PROJECTS_DIR}/${b.name}/${id}.jsonl`);
      if (kinds[j] === 'file' && kind?.kind === 'session') out.push({ ...kind.file, absPath: b.abs });
    });
  }
  return out;
}

/** The sidecar `agent-<id>.meta.json` Claude Code writes next to a sub-agent's transcript. */
export function agentMetaPath(file: ClaudeFile): string | null {
  return file.agentId === null ? null : file.absPath.replace(/\.jsonl$/, '.meta.json');
}
