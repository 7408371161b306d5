import { opendir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MAX_DIR_FILES, UUID } from '../common/fields.js';
import { entryInfo, isWithin, type EntryInfo, type EntryKind } from '../../files/fs-safety.js';
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

const HEX_UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/**
 * A main session's file name: its id in lower case (what Claude Code writes) or upper case, never
 * mixed, so that a lookup by id stats two names per project, not every spelling, and finds what
 * the walk finds (docs/claude.md, "Ids").
 */
const SESSION_FILE = new RegExp(`^(${HEX_UUID}|${HEX_UUID.toUpperCase()})\\.jsonl$`);
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

/**
 * Entries discovery has looked at since the process began (each a stat or two: a listed entry,
 * or a path looked up): tests bound the watch's work by it, not by the clock.
 */
export const discoveryWork = { entries: 0 };

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
 * What an entry is to discovery (null: passed by). A link is followed only inside the home, and
 * not when it is an alias: a link to a directory of the tree under `projects/`, or to a
 * transcript there of the same id, which the walk reaches by its own path anyway (a project
 * directory linked to another would list its sessions twice, and their ids would be ambiguous).
 * Codex's walker has the same rule (tree-walk.ts, kindOf).
 */
function usableKind(info: EntryInfo | null, rel: string, home: ClaudeHome): EntryKind | null {
  if (info === null || info.linkTarget === undefined || !isWithin(home.realProjects, info.linkTarget)) return info?.kind ?? null;
  const own = [PROJECTS_DIR, ...relative(home.realProjects, info.linkTarget).split(sep)].filter((p) => p !== '').join('/');
  const target = classifyClaudePath(own);
  if (info.kind === 'directory') return target === null || target.kind === 'session' ? 'directory' : null;
  const self = classifyClaudePath(rel);
  const alias = target?.kind === 'session' && self?.kind === 'session' && target.file.id === self.file.id;
  return alias ? null : 'file';
}

/**
 * entryInfo for a path relative to the home (a name looked up, not listed), with the file's
 * identity to tell two spellings of one file apart. Its target counts as a link's when any part
 * of the path is a link: a file told by the watch of a linked directory is an alias too.
 */
async function pathInfo(home: ClaudeHome, rel: string): Promise<(EntryInfo & { ino: number; dev: number }) | null> {
  discoveryWork.entries++;
  try {
    const target = await realpath(join(home.home, rel));
    if (!isWithin(home.realHome, target)) return null;
    const st = await stat(target);
    const kind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : null;
    if (kind === null) return null;
    const linked = target !== join(home.realProjects, relative(PROJECTS_DIR, rel));
    return { kind, ino: st.ino, dev: st.dev, ...(linked ? { linkTarget: target } : {}) };
  } catch {
    return null;
  }
}

/** What a path relative to the home is to discovery: the walk's rule (usableKind) for one path, such as a watch event's. */
export async function claudePathKind(home: ClaudeHome, rel: string): Promise<EntryKind | null> {
  return usableKind(await pathInfo(home, rel), rel, home);
}

/**
 * The entries of one directory that are regular files or directories inside the home (links
 * are followed only when they stay inside it and are no alias: usableKind; FIFOs, sockets and
 * devices are left out), at most MAX_DIR_FILES of them: a hostile directory of millions of
 * entries costs a bounded walk.
 */
async function entriesOf(dir: string, home: ClaudeHome, log: RolloutLogger, rel: string): Promise<{ name: string; kind: EntryKind }[]> {
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
      discoveryWork.entries++;
      const kind = usableKind(await entryInfo(entry, join(dir, entry.name), home.realHome), `${rel}/${entry.name}`, home);
      if (kind !== null) out.push({ name: entry.name, kind });
    }
  } catch (err) {
    log.debug({ path: rel, err: (err as NodeJS.ErrnoException).code }, 'directory read failed part way');
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const isTreeDir = (rel: string): boolean => {
  const kind = classifyClaudePath(rel)?.kind;
  return kind === 'project' || kind === 'session-dir' || kind === 'subagents-dir';
};

/** The directories of the tree directly under `relDir` that discovery walks into: what the watcher watches. */
export async function claudeTreeDirsIn(home: ClaudeHome, relDir: string, log: RolloutLogger): Promise<string[]> {
  const entries = await entriesOf(join(home.home, relDir), home, log, relDir);
  return entries.filter((e) => e.kind === 'directory' && isTreeDir(`${relDir}/${e.name}`)).map((e) => e.name);
}

/**
 * Whether discovery walks into the directory `rel`, judged for that one path (claudePathKind),
 * not by listing its parent: the watch asks it of each linked directory an event names, and a
 * listing per directory made N linked projects cost N listings of N entries (claude30).
 */
export async function claudeWalksInto(home: ClaudeHome, rel: string): Promise<boolean> {
  return isTreeDir(rel) && (await claudePathKind(home, rel)) === 'directory';
}

/** The transcripts among the entries of `relDir` (at `abs`). */
function transcriptsIn(entries: { name: string; kind: EntryKind }[], relDir: string, abs: string): ClaudeFile[] {
  const out: ClaudeFile[] = [];
  for (const entry of entries) {
    const kind = classifyClaudePath(`${relDir}/${entry.name}`);
    if (kind?.kind === 'session' && entry.kind === 'file') out.push({ ...kind.file, absPath: join(abs, entry.name) });
  }
  return out;
}

/** The transcripts directly in `relDir`, a directory the caller knows discovery walks into: one listing, not a walk of the home. */
export async function claudeFilesIn(home: ClaudeHome, relDir: string, log: RolloutLogger): Promise<ClaudeFile[]> {
  const abs = join(home.home, relDir);
  return transcriptsIn(await entriesOf(abs, home, log, relDir), relDir, abs);
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
  for (const project of await entriesOf(projectsAbs, home, log, PROJECTS_DIR)) {
    if (project.kind !== 'directory') continue;
    const projectRel = `${PROJECTS_DIR}/${project.name}`;
    const projectAbs = join(projectsAbs, project.name);
    for (const entry of (await entriesOf(projectAbs, home, log, projectRel)).sort(sessionFirst)) {
      const rel = `${projectRel}/${entry.name}`;
      yield* transcriptsIn([entry], projectRel, projectAbs);
      if (classifyClaudePath(rel)?.kind !== 'session-dir' || entry.kind !== 'directory') continue;
      const subRel = `${rel}/${SUBAGENTS_DIR}`;
      const inSession = await entriesOf(join(projectAbs, entry.name), home, log, rel);
      if (!inSession.some((e) => e.name === SUBAGENTS_DIR && e.kind === 'directory')) continue;
      yield* await claudeFilesIn(home, subRel, log);
    }
  }
}

/**
 * The main-session transcripts of `id` (lower case): `projects/<dir>/<id>.jsonl` or its upper-case
 * name, two stats per project directory that discovery walks into (by the same rules), instead of
 * a walk of every file. A sub-agent's id is derived (subagentSessionId), not a file name: only
 * discoverClaudeFiles finds one.
 */
export async function claudeSessionFilesOf(home: ClaudeHome, id: string, log: RolloutLogger): Promise<ClaudeFile[]> {
  const projectsAbs = join(home.home, PROJECTS_DIR);
  const projects = (await entriesOf(projectsAbs, home, log, PROJECTS_DIR)).filter((p) => p.kind === 'directory');
  const names = [...new Set([`${id}.jsonl`, `${id.toUpperCase()}.jsonl`])];
  const out: ClaudeFile[] = [];
  const seen = new Set<string>();
  const batches = projects.flatMap(({ name }) =>
    names.map((file) => ({ rel: `${PROJECTS_DIR}/${name}/${file}`, abs: join(projectsAbs, name, file) })),
  );
  for (let i = 0; i < batches.length; i += FILES_AT_ONCE) {
    const batch = batches.slice(i, i + FILES_AT_ONCE);
    const infos = await Promise.all(batch.map((b) => pathInfo(home, b.rel)));
    batch.forEach((b, j) => {
      const info = infos[j] ?? null;
      const kind = classifyClaudePath(b.rel);
      if (info === null || usableKind(info, b.rel, home) !== 'file' || kind?.kind !== 'session') return;
      // On a case-insensitive file system both names are one file.
      const identity = `${info.dev}:${info.ino}:${b.rel.slice(0, b.rel.lastIndexOf('/'))}`;
      if (seen.has(identity)) return;
      seen.add(identity);
      out.push({ ...kind.file, absPath: b.abs });
    });
  }
  return out;
}

/** The sidecar `agent-<id>.meta.json` Claude Code writes next to a sub-agent's transcript. */
export function agentMetaPath(file: ClaudeFile): string | null {
  return file.agentId === null ? null : file.absPath.replace(/\.jsonl$/, '.meta.json');
}
