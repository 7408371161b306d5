// The watch of a Claude home whose project directories are links (docs/claude.md, "Links"):
// each linked directory is checked by the walk's rule for that one path, never by listing its
// parent again, and a new directory's files come from one listing of it, not a walk of the
// home. Before (claude30), N linked projects cost N listings of N entries at the start, and N
// projects appearing cost N walks of the home. Told by the entries discovery looks at
// (discoveryWork), not by the clock.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TreeWatcher, type TreeChanges } from '../../../src/rollout/live/tree-watcher.js';
import { claudeSource } from '../../../src/rollout/sources/claude/index.js';
import { discoveryWork } from '../../../src/rollout/sources/claude/discovery.js';
import { ClaudeWalker } from '../../../src/rollout/sources/claude/walker.js';
import { quietLog, tempClaudeHome } from '../sources/claude/claude-home.js';

/**
 * Sized by what the two bounds tell apart: before claude30, the start listed the projects once
 * per link (N listings of N entries: N^2) and each appearing project walked the whole home (at
 * least N entries each: N^2). The bounds are 5N and 6N, so any N > 6 fails the old code; at 300,
 * the old start counted 90,600 entries against a bound of 1,500 (docs/claude.md), and 2,000 only
 * added time (18 s of a 2-core run).
 */
const N = 300;
const idOf = (i: number) => `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** `projects/-<name>`, a link to `real/<name>` (inside the home, outside projects/: walked) holding one session. */
async function linkedProjects(home: string, prefix: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const real = join(home, 'real', `${prefix}${i}`);
    await mkdir(real, { recursive: true });
    await writeFile(join(real, `${idOf(i)}.jsonl`), '{}\n');
  }
  for (let i = from; i < from + count; i++) await symlink(join(home, 'real', `${prefix}${i}`), join(home, 'projects', `-${prefix}${i}`));
}

let watcher: TreeWatcher | null = null;
afterEach(async () => {
  await watcher?.close();
  watcher = null;
});

describe(`the watch of a Claude home of ${N} linked project directories`, () => {
  it('looks at a bounded number of entries per directory, at the start and as directories appear', async () => {
    const home = await tempClaudeHome();
    await linkedProjects(home, 'p', 0, N);
    const appeared = new Set<string>();
    const onChange = (changes: TreeChanges) => {
      for (const rel of changes.appeared) appeared.add(rel);
      return Promise.resolve();
    };
    watcher = new TreeWatcher(new ClaudeWalker(home), onChange, quietLog, undefined, claudeSource);

    let before = discoveryWork.entries;
    await watcher.start();
    expect(watcher.complete).toBe(true);
    // The projects listed once, and each project once.
    expect(discoveryWork.entries - before).toBeLessThanOrEqual(5 * N);

    before = discoveryWork.entries;
    await linkedProjects(home, 'q', N, N);
    // Aliases (links to directories of the tree) are still passed by: their sessions are the targets'.
    await mkdir(join(home, 'projects', '-r'));
    for (let i = 0; i < 10; i++) await symlink(join(home, 'projects', '-r'), join(home, 'projects', `-alias${i}`));
    await writeFile(join(home, 'projects', '-r', `${idOf(9_999)}.jsonl`), '{}\n');
    await expect.poll(() => appeared.size, { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(N);
    await watcher.settled();
    const expected = Array.from({ length: N }, (_, k) => `projects/-q${N + k}/${idOf(N + k)}.jsonl`);
    expected.push(`projects/-r/${idOf(9_999)}.jsonl`);
    expect([...appeared].sort()).toEqual(expected.sort());
    // Each new directory: a look at its path, one listing of it (its file), one for its sub-directories.
    expect(discoveryWork.entries - before).toBeLessThanOrEqual(6 * N);
  }, 240_000);
});
