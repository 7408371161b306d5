import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Degradations } from '../../../../src/rollout/degraded.js';
import { DirListings, MAX_DIR_FILES, TreeWalker } from '../../../../src/rollout/sources/codex/tree-walk.js';
import type { RolloutFile } from '../../../../src/rollout/types.js';
import { tempHome, uuidN } from '../../../helper.js';

const DAY = 'sessions/2025/09/08';
const rolloutName = (i: number) => `rollout-2025-09-08T00-00-00-${uuidN(i)}.jsonl`;

/** A day directory of `count` empty rollout files, plus junk names that must not count. */
async function homeWithDay(count: number): Promise<string> {
  const home = await tempHome();
  await mkdir(join(home, DAY), { recursive: true });
  await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(home, DAY, rolloutName(i)), '')));
  await Promise.all(Array.from({ length: 50 }, (_, i) => writeFile(join(home, DAY, `rollout-junk-${i}.jsonl`), '')));
  return home;
}

const silent = () => new Degradations({ debug: () => {}, warn: () => {} });

/** Both ways of reading a directory: at once (any st_size is small) and streamed (any is large). */
const READS = [
  ['read at once', Number.MAX_SAFE_INTEGER],
  ['streamed', 0],
] as const;

describe('TreeWalker on a directory of very many files', () => {
  it('defaults to a bound far above any real day', () => {
    expect(MAX_DIR_FILES).toBe(100_000);
  });

  for (const [how, streamDirsOverBytes] of READS) {
    it(`${how}: lists at most maxDirFiles rollout files of one directory and says so; junk names do not count`, async () => {
      const home = await homeWithDay(30);
      const degraded = silent();
      const walker = new TreeWalker(home, degraded, { maxDirFiles: 20, streamDirsOverBytes });
      const files = await walker.filesIn(DAY, 'asc');
      expect(files).toHaveLength(20);
      expect(new Set(files.map((f) => f.id)).size).toBe(20);
      expect(files.map((f) => f.key)).toEqual(files.map((f) => f.key).sort());
      expect(degraded.list()).toEqual([`${DAY} holds more than 20 entries of the tree: the rest are skipped`]);
      const all = new TreeWalker(home, silent(), { maxDirFiles: 30, streamDirsOverBytes });
      expect(await all.filesIn(DAY, 'asc')).toHaveLength(30);
    });
  }

  it('a lookup by id neither hits the bound nor clears it; a full listing under the bound does', async () => {
    const home = await homeWithDay(30);
    const degraded = silent();
    const walker = new TreeWalker(home, degraded, { maxDirFiles: 20, streamDirsOverBytes: 0 });
    await walker.filesIn(DAY, 'desc');
    expect(degraded.list()).toHaveLength(1);
    // The id of a file the bounded listing may have left out is still found by a lookup.
    for (const i of [0, 29]) expect((await walker.filesIn(DAY, 'desc', uuidN(i))).map((f) => f.id)).toEqual([uuidN(i)]);
    expect(degraded.list()).toHaveLength(1);
    await Promise.all(Array.from({ length: 15 }, (_, i) => rm(join(home, DAY, rolloutName(i)))));
    expect(await walker.filesIn(DAY, 'desc')).toHaveLength(15);
    expect(degraded.list()).toEqual([]);
  });

  it('bounds the numeric directories of a level too', async () => {
    const home = await tempHome();
    await Promise.all(Array.from({ length: 12 }, (_, i) => mkdir(join(home, 'sessions', String(2000 + i)), { recursive: true })));
    const degraded = silent();
    const walker = new TreeWalker(home, degraded, { maxDirFiles: 5, streamDirsOverBytes: 0 });
    expect(await walker.numericDirs('sessions', 'desc')).toHaveLength(5);
    expect(degraded.list()).toEqual(['sessions holds more than 5 entries of the tree: the rest are skipped']);
  });

  it('streams a large directory into the same listing as a read at once', async () => {
    const home = await homeWithDay(300);
    const atOnce = await new TreeWalker(home, silent()).filesIn(DAY, 'desc');
    const streamed = await new TreeWalker(home, silent(), { maxDirFiles: MAX_DIR_FILES, streamDirsOverBytes: 0 }).filesIn(DAY, 'desc');
    expect(streamed).toEqual(atOnce);
    expect(atOnce).toHaveLength(300);
  });
});

/** A listing function that counts its calls and answers once `release` is called. */
function gatedListing(files: RolloutFile[]) {
  let calls = 0;
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const list = async () => {
    calls++;
    await gate;
    return files;
  };
  return { list, release, calls: () => calls };
}

const fakeFiles = (n: number, dir: string): RolloutFile[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    stamp: '2025-09-08T00-00-00',
    id: uuidN(i),
    absPath: join(dir, rolloutName(i)),
    relPath: `${DAY}/${rolloutName(i)}`,
    archived: false,
  }));

describe('DirListings', () => {
  it('concurrent requests for one unchanged directory share one listing', async () => {
    const dir = await tempHome();
    const listings = new DirListings();
    const gated = gatedListing(fakeFiles(3, dir));
    const pages = Array.from({ length: 10 }, () => listings.get(dir, gated.list));
    await new Promise((r) => setTimeout(r, 20));
    gated.release();
    for (const files of await Promise.all(pages)) expect(files).toHaveLength(3);
    expect(gated.calls()).toBe(1);
  });

  it('a request that finds the directory changed does not take a listing started before the change', async () => {
    const dir = await tempHome();
    const listings = new DirListings({ maxListings: 64, maxFiles: 200_000, settledMs: Number.NEGATIVE_INFINITY });
    const before = gatedListing(fakeFiles(1, dir));
    const first = listings.get(dir, before.list);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(dir, 'new-entry'), ''); // changes the directory's ctime
    const after = gatedListing(fakeFiles(2, dir));
    const second = listings.get(dir, after.list);
    await new Promise((r) => setTimeout(r, 20));
    before.release();
    after.release();
    expect(await first).toHaveLength(1);
    expect(await second).toHaveLength(2);
    expect([before.calls(), after.calls()]).toEqual([1, 1]);
    // The cached listing is the one read after the change.
    expect(await listings.get(dir, gatedListing([]).list)).toHaveLength(2);
  });

  it('keeps the files of all cached listings within its file budget, dropping the oldest', async () => {
    const listings = new DirListings({ maxListings: 64, maxFiles: 5, settledMs: Number.NEGATIVE_INFINITY });
    const [a, b] = [await tempHome(), await tempHome()];
    const listA = gatedListing(fakeFiles(3, a));
    const listB = gatedListing(fakeFiles(3, b));
    listA.release();
    listB.release();
    await listings.get(a, listA.list);
    expect(listings.cachedFiles).toBe(3);
    await listings.get(a, listA.list);
    expect(listA.calls()).toBe(1); // a hit
    await listings.get(b, listB.list);
    expect(listings.cachedFiles).toBe(3); // a was dropped to make room for b
    await listings.get(b, listB.list);
    await listings.get(a, listA.list);
    expect([listA.calls(), listB.calls()]).toEqual([2, 1]);
    expect(listings.cachedFiles).toBeLessThanOrEqual(5);
  });
});
