import { chmod, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRolloutName } from '../../../src/rollout/sources/codex/filename.js';
import { ListingCache } from '../../../src/rollout/listing/listing-cache.js';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../../src/rollout/reading/session-reader.js';
import { readSessionFile } from '../../../src/rollout/sources/codex/session-file.js';
import type { RolloutFile, RolloutLogger } from '../../../src/rollout/types.js';
import { envelopeLines, rolloutRelPath, tempHome, uuidN, writeLines, type Line } from '../../helper.js';

const STAMP = '2025-03-04T05-06-07';
const ENV: ReadEnv = { realRoot: '/', limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(64 * 1024 * 1024, 5_000) };

function logger(): { log: RolloutLogger; debug: unknown[] } {
  const debug: unknown[] = [];
  return { debug, log: { debug: (obj, msg) => void debug.push([obj, msg]), warn: () => {} } };
}

async function session(lines: Line[], n = 1): Promise<RolloutFile> {
  const home = await tempHome();
  const relPath = rolloutRelPath(STAMP, uuidN(n));
  await writeLines(join(home, relPath), lines);
  const name = relPath.split('/').pop()!;
  return { ...parseRolloutName(name)!, absPath: join(home, relPath), relPath, archived: false };
}

const lines = (title: string, extra = 6): Line[] =>
  envelopeLines({
    stamp: STAMP,
    id: uuidN(1),
    title,
    extra: Array.from({ length: extra }, (_, i) => (i === 2 ? 'not json' : { type: 'event_msg', payload: { type: 'n', i } })),
  });

/** What a read answers, comparable across reads (the stat object itself differs). */
const view = (r: Awaited<ReturnType<typeof readSessionFile>>) =>
  r === null
    ? null
    : {
        size: r.stat.size,
        read: r.read && {
          ...r.read,
          stat: undefined,
          head: r.read.head.map((t) => String(t.bytes)),
          tail: r.read.tail.map((t) => String(t.bytes)),
        },
      };

describe('ListingCache', () => {
  it('answers every head/tail combination exactly like a fresh read, hit or miss', async () => {
    const file = await session(lines('first'));
    const cache = new ListingCache();
    const counts = [
      [3, 0],
      [1, 0],
      [3, 2],
      [0, 1],
      [100, 0],
      [5, 100],
      [2, 3],
      [0, 0],
    ] as const;
    for (let round = 0; round < 2; round++) {
      for (const [h, t] of counts) {
        const fresh = logger();
        const cached = logger();
        const expected = await readSessionFile(file, h, t, ENV, fresh.log);
        const got = await cache.read(file, h, t, ENV, cached.log);
        expect(view(got), `head ${h} tail ${t}`).toEqual(view(expected));
        expect(cached.debug, `logs for head ${h} tail ${t}`).toEqual(fresh.debug);
      }
    }
  });

  it('reads a file again when it changes, even to the same size and mtime', async () => {
    const file = await session(lines('aaaa'));
    const cache = new ListingCache();
    const log = logger().log;
    const before = await cache.read(file, 2, 0, ENV, log);
    expect(before?.read?.summary.title).toBe('aaaa');
    const { mtime } = (await cache.read(file, 2, 0, ENV, log))!.stat;
    await writeLines(file.absPath, lines('bbbb'));
    await utimes(file.absPath, mtime, mtime); // same size, same mtime: only ctime tells
    const after = await cache.read(file, 2, 0, ENV, log);
    expect(after?.read?.summary.title).toBe('bbbb');
    expect(after?.stat.size).toBe(before?.stat.size);
  });

  it('remembers non-sessions, and forgets files that became unreadable', async () => {
    const notSession = await session(['{"type":"response_item","payload":{}}'], 2);
    const cache = new ListingCache();
    const first = logger();
    const second = logger();
    expect((await cache.read(notSession, 1, 0, ENV, first.log))?.read).toBeNull();
    expect((await cache.read(notSession, 1, 0, ENV, second.log))?.read).toBeNull();
    expect(second.debug).toEqual(first.debug);

    const file = await session(lines('gone'), 3);
    expect((await cache.read(file, 1, 0, ENV, logger().log))?.read?.summary.title).toBe('gone');
    await chmod(file.absPath, 0o000);
    const asRoot = process.getuid?.() === 0; // root reads whatever the mode says
    const r = await cache.read(file, 1, 0, ENV, logger().log);
    if (!asRoot) expect(r).toBeNull();
    await chmod(file.absPath, 0o644);
    await writeFile(file.absPath, '');
    expect((await cache.read(file, 1, 0, ENV, logger().log))?.read).toBeNull();
  });

  it('stays within its byte budget', async () => {
    const cache = new ListingCache({ maxBytes: 64 * 1024, maxEntries: 1000 });
    const files = await Promise.all(Array.from({ length: 20 }, (_, i) => session(lines(`t${i}`.repeat(2000)), 10 + i)));
    for (const f of files) await cache.read(f, 10, 0, ENV, logger().log);
    const held = cache.heldBytes;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(64 * 1024);
    // The newest entries survive; the oldest were evicted and are read again, with the same answer.
    const again = await cache.read(files[0]!, 10, 0, ENV, logger().log);
    expect(again?.read?.summary.title).toBe('t0'.repeat(2000));
  });
});
