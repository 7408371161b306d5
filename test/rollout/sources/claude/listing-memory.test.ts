// What a listing of a Claude home holds while the first index build runs (issue 20, branch rssreq32;
// docs/performance.md): first pages during the build list and stat every transcript, and the last
// listing is kept for the next page. It held a ClaudeFile and a full fs.Stats per file (about 1.4 KB
// a file, 841 MB peak RSS at 100,000 sessions); now a path and three numbers, and it is let go once
// the index answers the pages.
import { Stats } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sqliteIndex } from '../../../../src/rollout/index/sqlite/backend.js';
import { RolloutRepository } from '../../../../src/rollout/repository.js';
import type { ListQuery } from '../../../../src/rollout/types.js';
import { KnownFiles } from '../../../../src/rollout/sources/claude/known-files.js';
import { filesOf } from '../../../../src/rollout/sources/claude/packed-listing.js';
import type { ClaudeWalker } from '../../../../src/rollout/sources/claude/walker.js';
import { claude } from '../../../../src/rollout/sources/registry.js';
import { tempHome } from '../../../helper.js';
import { tempClaudeHome, writeJsonl } from './claude-home.js';

const idOf = (i: number) => `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, '0')}`;
const silent = pino({ level: 'silent' });
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
// Collected until it settles: a collection can free what an earlier one's weak callbacks and
// finalizers let go (149 KB once, against the 48 KB the packed listing may hold).
const heapAfterGc = () => {
  let heap = Infinity;
  for (let i = 0; i < 8; i++) {
    gc();
    const now = process.memoryUsage().heapUsed;
    if (Math.abs(heap - now) < 1024) return now;
    heap = now;
  }
  return heap;
};
const query: ListQuery = { limit: 10, head: 0, tail: 0, order: 'desc', archived: 'false', includeEmpty: true };

async function homeOf(sessions: number): Promise<string> {
  const dir = await tempClaudeHome();
  for (let i = 0; i < sessions; i++) {
    const line = { type: 'user', message: { role: 'user', content: `s${i}` }, timestamp: new Date(Date.UTC(2026, 0, 1, i)).toISOString() };
    await writeJsonl(join(dir, 'projects', `-p${i % 2}`, `${idOf(i)}.jsonl`), [line]);
  }
  return dir;
}

describe('the listing of a Claude home taken for first pages', () => {
  it('holds each transcript as its path, mtime, size and inode: no fs.Stats, no ClaudeFile', async () => {
    const dir = await homeOf(4);
    const listing = await new KnownFiles(dir, silent).list(() => undefined);
    const listed = filesOf(listing, 0, listing.length);
    expect(listed).toHaveLength(4);
    for (const file of listed) {
      expect(Object.keys(file).sort()).toEqual(['ino', 'mtimeMs', 'relPath', 'size']);
      expect(Object.values(file).some((v) => v instanceof Stats || typeof v === 'object')).toBe(false);
    }
    expect(listed.map((f) => f.mtimeMs)).toEqual(listed.map((f) => f.mtimeMs).sort((a, b) => b - a));
  });

  it('is kept for the next page outside the heap: a few bytes of heap for 3,000 files (branch rsspages33)', async () => {
    const files = 3000;
    const home = await homeOf(files);
    // A collection may also free what is not the snapshot's (62 KB once in a full run, when this
    // file shared its worker: test/suites.ts OWN_PROCESS), never less than the snapshot's: the
    // least of three snapshots, each of a listing of its own, is the snapshot's.
    const freed: number[] = [];
    for (let round = 0; round < 3; round++) {
      const known = new KnownFiles(home, silent);
      // Only digests are kept here: a file object held by the test would be counted as the snapshot's.
      // (in a function of its own: a suspended async frame may keep what it awaited)
      const digest = async () => {
        const listing = (await known.listedWithin(files))?.sorted;
        return listing ? filesOf(listing, 0, listing.length).map((f) => `${f.relPath} ${f.mtimeMs} ${f.size} ${f.ino}`).join('\n') : '';
      };
      const first = await digest(); // waits for the listing, which is then kept
      expect(first.split('\n')).toHaveLength(files);
      expect(known.snapshotHeld).toBe(true);
      // The snapshot answers what the listing said, file by file.
      expect(await digest()).toBe(first);
      expect(known.snapshotBytes).toBeGreaterThan(files * 24); // the paths and the numbers, outside the heap
      const held = heapAfterGc();
      known.release();
      freed.push(held - heapAfterGc());
    }
    // As objects the kept listing was ~254 bytes of heap a file, live all through the build,
    // and V8 grows the old space to a multiple of what is live.
    expect(Math.min(...freed)).toBeLessThan(files * 16);
  });

  it('is not kept when the index starts answering while it is under way', async () => {
    const known = new KnownFiles(await homeOf(4), silent);
    // cap 0: the page does not wait for the listing, which goes on in the background.
    expect(await known.listedWithin(0)).toBeNull();
    known.release();
    expect(await known.list(() => undefined)).toHaveLength(4); // the same listing, now done
    expect(known.snapshotHeld).toBe(false);
  });

  it('is let go once the index answers the pages, and a page then lists nothing', async () => {
    const dir = await homeOf(6);
    const index = sqliteIndex({ path: join(await tempHome(), 'index.sqlite'), verifyDelayMs: 0 });
    const repo = new RolloutRepository({ codexHome: dir, source: claude, maxScanFiles: 1000, log: silent, index });
    const { walker } = repo as unknown as { walker: ClaudeWalker };
    try {
      // Not started: the index does not answer, so the page takes a listing, and it is kept for the next page.
      expect((await repo.listPage(query)).items).toHaveLength(6);
      expect(walker.listingHeld).toBe(true);
      const listings = walker.listings;
      repo.start();
      await repo.indexIdle();
      expect(repo.indexProgress().complete).toBe(true);
      expect((await repo.listPage(query)).items).toHaveLength(6);
      expect(walker.listingHeld).toBe(false);
      expect(walker.listings).toBe(listings);
    } finally {
      await repo.close();
    }
  });
});
