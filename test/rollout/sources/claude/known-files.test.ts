// Concurrent first pages on a Claude home without a complete watch (docs/claude.md, "Serving"):
// each page asks listedWithin, then walks. The listing a page waited for (or the last one done)
// is that page's own: another page cannot take it and leave the first to list the tree again.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClaudeWalker } from '../../../../src/rollout/sources/claude/walker.js';
import type { SessionWalker } from '../../../../src/rollout/sources/source.js';
import { tempClaudeHome, writeJsonl } from './claude-home.js';

const idOf = (i: number) => `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function write(dir: string, i: number): Promise<void> {
  const line = { type: 'user', message: { role: 'user', content: `s${i}` }, timestamp: new Date(Date.UTC(2026, 0, 1, i)).toISOString() };
  await writeJsonl(join(dir, 'projects', `-p${i % 2}`, `${idOf(i)}.jsonl`), [line]);
}

async function ids(walker: SessionWalker): Promise<string[]> {
  const out: string[] = [];
  for await (const file of walker.walk('false', 'desc')) out.push(file.id);
  return out;
}

describe('concurrent first pages of a Claude home without a complete watch', () => {
  it('share one listing of the tree: each walks the listing it waited for', async () => {
    const dir = await tempClaudeHome();
    for (let i = 0; i < 6; i++) await write(dir, i);
    const walker = new ClaudeWalker(dir);
    const pages = await Promise.all([1, 2, 3, 4].map(() => walker.listedWithin(100)));
    const walks = await Promise.all(pages.map((page) => ids(page!)));
    for (const walked of walks) expect(walked).toHaveLength(6);
    expect(walker.listings).toBe(1);
  });

  it('then take the last listing done while the next runs: at most one listing old, never older', async () => {
    const dir = await tempClaudeHome();
    for (let i = 0; i < 6; i++) await write(dir, i);
    const walker = new ClaudeWalker(dir);
    expect(await ids((await walker.listedWithin(100))!)).toHaveLength(6);
    await write(dir, 6);
    // The first listing is vouched for at once (and the next starts): the new file is not in it yet.
    const pages = await Promise.all([1, 2, 3].map(() => walker.listedWithin(100)));
    expect(walker.listings).toBe(2);
    for (const walked of await Promise.all(pages.map((page) => ids(page!)))) expect(walked).toHaveLength(6);
    expect(walker.listings).toBe(2);
    // A walk asked without a vouch waits for the listing under way, which has the new file; so do the pages after it.
    expect(await ids(walker)).toHaveLength(7);
    expect(await ids((await walker.listedWithin(100))!)).toHaveLength(7);
    expect(walker.listings).toBe(3);
  });
});
