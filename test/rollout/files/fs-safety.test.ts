import { execFileSync } from 'node:child_process';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeFd, isMissingOrUnsafe, openInside } from '../../../src/rollout/files/fs-safety.js';
import { tempHome } from '../../helper.js';

async function outcome(path: string, root: string): Promise<string> {
  try {
    const { fd, stat } = await openInside(path, root);
    await closeFd(fd);
    return `file of ${stat.size} bytes`;
  } catch (err) {
    return isMissingOrUnsafe(err) ? `refused: ${(err as Error).message}` : `error ${(err as NodeJS.ErrnoException).code}`;
  }
}

describe('openInside', () => {
  it('opens regular files inside the root, directly or through a link that stays inside', async () => {
    const root = await realpath(await tempHome());
    await writeFile(join(root, 'a.jsonl'), 'hello');
    await symlink(join(root, 'a.jsonl'), join(root, 'link.jsonl'));
    expect(await outcome(join(root, 'a.jsonl'), root)).toBe('file of 5 bytes');
    expect(await outcome(join(root, 'link.jsonl'), root)).toBe('file of 5 bytes');
  });

  it('never opens a FIFO, a device, a directory, or a link out of the root (and does not hang on a FIFO)', async () => {
    const root = await realpath(await tempHome());
    const outside = await realpath(await tempHome());
    await writeFile(join(outside, 'secret'), 'secret');
    execFileSync('mkfifo', [join(root, 'fifo')]);
    await symlink(join(root, 'fifo'), join(root, 'link-to-fifo'));
    await symlink('/dev/zero', join(root, 'zero'));
    await symlink(join(outside, 'secret'), join(root, 'out'));
    await mkdir(join(root, 'dir'));
    await symlink(join(root, 'loop'), join(root, 'loop'));
    expect(await outcome(join(root, 'fifo'), root)).toBe('refused: not a regular file');
    expect(await outcome(join(root, 'link-to-fifo'), root)).toBe('refused: not a regular file');
    expect(await outcome(join(root, 'zero'), root)).toBe('refused: a link that leads out of the Codex home');
    expect(await outcome(join(root, 'out'), root)).toBe('refused: a link that leads out of the Codex home');
    expect(await outcome(join(root, 'dir'), root)).toBe('refused: not a regular file');
    expect(await outcome(join(root, 'loop'), root)).toMatch(/^refused: /);
    expect(await outcome(join(root, 'missing'), root)).toMatch(/^refused: ENOENT/);
  });

  it('checks the descriptor, not just the last path component: a directory link out of the root is refused', async () => {
    const root = await realpath(await tempHome());
    const outside = await realpath(await tempHome());
    await writeFile(join(outside, 'secret.jsonl'), 'secret');
    await symlink(outside, join(root, 'day')); // the file itself is no link: only its descriptor tells
    expect(await outcome(join(root, 'day', 'secret.jsonl'), root)).toBe('refused: opened outside the Codex home');
  });
});
