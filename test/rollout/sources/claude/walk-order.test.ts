// The Claude walker's key order (docs/claude.md, "Serving"): newest first, a file's head is read
// only when no file still unread could come before it (its key is bounded by its mtime), so a
// first page without an index reads about a page of heads, not the tree's; the order is the
// same as sorting every key. Its listing is kept between walks while a complete watch tells it
// every change.
import { appendFile, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClaudeWalker } from '../../../../src/rollout/sources/claude/walker.js';
import { keyBoundOf } from '../../../../src/rollout/sources/claude/newest-first.js';
import { FILES_AT_ONCE } from '../../../../src/rollout/tuning.js';
import { tempClaudeHome, writeJsonl } from './claude-home.js';

const START = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const idOf = (i: number) => `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** `n` sessions in three projects, session i started at START + i hours, last written 5 s later; some continued days later. */
async function home(n: number, continued: readonly number[] = []): Promise<string> {
  const dir = await tempClaudeHome();
  for (let i = 0; i < n; i++) {
    const path = join(dir, 'projects', `-p${i % 3}`, `${idOf(i)}.jsonl`);
    const at = START + i * HOUR;
    const line = (ms: number) => ({ type: 'user', message: { role: 'user', content: `s${i}` }, timestamp: new Date(ms).toISOString() });
    await writeJsonl(path, [line(at)]);
    const last = continued.includes(i) ? at + (n + 24) * HOUR : at + 5000;
    if (last !== at + 5000) await appendFile(path, `${JSON.stringify(line(last))}\n`);
    await utimes(path, new Date(last), new Date(last));
  }
  return dir;
}

async function take(walker: ClaudeWalker, count: number, order: 'asc' | 'desc' = 'desc', after?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const file of walker.walk('false', order, after)) {
    keys.push(file.key);
    if (keys.length === count) break;
  }
  return keys;
}

describe('the Claude walk, newest first', () => {
  it('reads the heads of about a page of files for the first page, in the order of every key', async () => {
    const n = 120;
    const dir = await home(n, [3, 50]);
    const all = await take(new ClaudeWalker(dir), n + 1, 'asc');
    expect(all).toHaveLength(n);
    const expected = [...all].reverse();
    const walker = new ClaudeWalker(dir);
    expect(await take(walker, 10)).toEqual(expected.slice(0, 10));
    // The page's files, the two continued sessions (written last) and one batch of look-ahead.
    expect(walker.keysKnown).toBeLessThanOrEqual(10 + 2 + 2 * FILES_AT_ONCE);
    expect(walker.keysKnown).toBeLessThan(n / 2);
    expect(await take(walker, n + 1)).toEqual(expected);
    // After a cursor, keyset: the items strictly after it, in order.
    expect(await take(walker, 5, 'desc', expected[20])).toEqual(expected.slice(21, 26));
  });

  it('bounds a key by the mtime: the stamp of the last write, above every id of that second', () => {
    const bound = keyBoundOf(Date.UTC(2026, 0, 2, 3, 4, 5, 678))!;
    expect(bound.startsWith('2026-01-02T03-04-05|')).toBe(true);
    expect(`2026-01-02T03-04-05|${'f'.repeat(8)}-ffff-ffff-ffff-${'f'.repeat(12)}` < bound).toBe(true);
    expect('2026-01-02T03-04-06|00000000-0000-0000-0000-000000000000' > bound).toBe(true);
    expect(keyBoundOf(8.64e15 + 1)).toBeNull();
  });

  it('keeps its listing while a complete watch tells it every change, and lists again without one', async () => {
    const dir = await home(6);
    let complete = true;
    const walker = new ClaudeWalker(dir);
    walker.watchedBy({ complete: () => complete });
    const before = await take(walker, 100);
    expect(before).toHaveLength(6);
    // Not told, a removal is not seen (the page's read of the file skips it); told, it is gone.
    await rm(join(dir, 'projects', '-p0', `${idOf(0)}.jsonl`));
    expect(await take(walker, 100)).toEqual(before);
    walker.changed(`projects/-p0/${idOf(0)}.jsonl`);
    expect(await take(walker, 100)).toEqual(before.slice(0, 5));
    // A new session told by the watch is stat'ed and placed.
    const path = join(dir, 'projects', '-p1', `${idOf(99)}.jsonl`);
    const at = new Date(START + 99 * HOUR).toISOString();
    await writeJsonl(path, [{ type: 'user', message: { role: 'user', content: 'new' }, timestamp: at }]);
    walker.changed(`projects/-p1/${idOf(99)}.jsonl`);
    const after = await take(walker, 100);
    expect(after[0]).toContain(idOf(99));
    expect(after).toHaveLength(6);
    // Without a complete watch, every walk lists the tree.
    complete = false;
    await rm(path);
    expect(await take(walker, 100)).toEqual(before.slice(0, 5));
  });
});
