import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import { isWithin } from '../../files/fs-safety.js';

/** The directory under the Claude home that holds the transcripts. */
export const PROJECTS_DIR = 'projects';

const nonEmpty = (value: string | undefined): string | null => (value === undefined || value.trim() === '' ? null : value);

const expandHome = (path: string): string => (path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);

/**
 * The Claude home to serve: `--claude-home DIR`, else `CLAUDE_CONFIG_DIR` (the variable Claude
 * Code itself reads), else `~/.claude`. Resolved to an absolute path; whether it exists is
 * decided later (findClaudeHome), because an absent home is not an error.
 */
export function claudeHomeFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(expandHome(nonEmpty(flag) ?? nonEmpty(env.CLAUDE_CONFIG_DIR) ?? '~/.claude'));
}

/** A Claude home that was found: where it is, and its real path (files are only opened inside it). */
export interface ClaudeHome {
  home: string;
  realHome: string;
  /** The real path of `projects/`: a link whose target lies in it is an alias of a path the walk reaches anyway (discovery.ts). */
  realProjects: string;
}

/**
 * The home when it has a `projects/` directory (inside it, not a link out), else null: a machine without Claude Code has
 * no such directory, and then the source is simply not served (`/readyz` says so), never an
 * error. Any other failure than "not there" (a permission error) is also "not served": the
 * caller logs it.
 */
export async function findClaudeHome(home: string): Promise<ClaudeHome | null> {
  try {
    const projects = join(home, PROJECTS_DIR);
    if (!(await stat(projects)).isDirectory()) return null;
    const realHome = await realpath(home);
    // A `projects` that is a link out of the home would list files that no read may open.
    const realProjects = await realpath(projects);
    return isWithin(realHome, realProjects) ? { home, realHome, realProjects } : null;
  } catch {
    return null;
  }
}
