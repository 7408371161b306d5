import { access, constants, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What the Codex home is, as far as serving it goes: `ready`, or why there is nothing to serve.
 * `no-sessions` is a home without a sessions/ directory: a fresh Codex install, or a directory
 * that is not a Codex home at all (the list is empty either way, and only this tells them apart).
 */
export type HomeState = 'ready' | 'missing' | 'not-a-directory' | 'unreadable' | 'no-sessions';

export async function homeState(codexHome: string): Promise<HomeState> {
  try {
    if (!(await stat(codexHome)).isDirectory()) return 'not-a-directory';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  }
  try {
    await access(codexHome, constants.R_OK | constants.X_OK);
  } catch {
    return 'unreadable';
  }
  try {
    return (await stat(join(codexHome, 'sessions'))).isDirectory() ? 'ready' : 'no-sessions';
  } catch (err) {
    // A sessions/ that is there but cannot be read (a loop, no permission) is the walk's to report (Degradations).
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no-sessions' : 'ready';
  }
}
