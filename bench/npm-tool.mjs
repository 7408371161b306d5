// Tools the benchmark compares against (Codex, ccusage), installed from npm on first use into the
// bench cache, at a pinned version.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The file `relPath` of the npm package `spec` (`name@version`) installed into `toolsDir`,
 * installing it when missing; null when it cannot be had (no registry).
 */
export function npmToolFile(toolsDir, spec, relPath) {
  const file = join(toolsDir, 'node_modules', relPath);
  if (!existsSync(file)) {
    mkdirSync(toolsDir, { recursive: true });
    try {
      const args = ['install', '--prefix', toolsDir, '--no-save', '--no-audit', '--no-fund', spec];
      execFileSync('npm', args, { stdio: 'ignore', timeout: 600_000 });
    } catch {
      return null;
    }
  }
  return existsSync(file) ? file : null;
}
