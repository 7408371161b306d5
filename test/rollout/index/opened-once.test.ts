import { appendFile, copyFile, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stampOf } from '../../../src/rollout/files/file-stamp.js';
import { updateFile, type FileAccess } from '../../../src/rollout/index/file-update.js';
import { SqliteBackend } from '../../../src/rollout/index/sqlite/backend.js';
import type { IndexStore } from '../../../src/rollout/index/store.js';
import { WriteBatch } from '../../../src/rollout/index/write-batch.js';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, openRollout, type ReadEnv } from '../../../src/rollout/reading/session-reader.js';
import { claude } from '../../../src/rollout/sources/registry.js';
import { claudeRolloutFile } from '../../../src/rollout/sources/claude/session-head.js';
import type { RolloutFile } from '../../../src/rollout/types.js';
import { tempHome } from '../../helper.js';
import { allFiles, quietLog, realHome } from '../sources/claude/claude-home.js';

// An index build read every file up to four times, each read with an open of its own (lstat,
// open, fstat, readlink, close): the head read (and, for Claude, its name windows after it), the
// content pass, and the fingerprint of each step of the pass. A file is now opened once per
// update, and its first 64 KiB are read once (index/opened-once.ts).

const MiB = 1024 * 1024;

/** A file's reads through ReadEnv.open: how many opens, and how many bytes the descriptor read. */
function counting(env: ReadEnv) {
  const seen = { opens: 0, bytes: 0 };
  const open: ReadEnv['open'] = async (file) => {
    seen.opens++;
    const opened = await openRollout(file, env.realRoot);
    const read = opened.source.read.bind(opened.source);
    return {
      ...opened,
      source: {
        read: async (buffer, offset, length, position) => {
          const r = await read(buffer, offset, length, position);
          seen.bytes += r.bytesRead;
          return r;
        },
      },
    };
  };
  return { seen, env: { ...env, open } };
}

async function indexOne(store: IndexStore, file: RolloutFile, env: ReadEnv, access?: FileAccess): Promise<void> {
  const batch = new WriteBatch(async (ops) => void (await store.write(ops)));
  const responseKeys = (p: string) => store.responseKeys(p);
  const ctx = { env: async () => env, log: quietLog, current: () => true, responseKeys, source: claude };
  await updateFile(await store.get(file.relPath), batch, file, access === undefined ? ctx : { ...ctx, access });
  await batch.flush();
}

/** The access of an update before this change: every read opens the file again. */
function openEachTime(file: RolloutFile, env: ReadEnv): FileAccess {
  return {
    stamp: async () => stampOf(await stat(file.absPath)),
    head: async () => {
      const result = await claude.readListing(file, 0, 0, env, quietLog);
      if (result === null) return null;
      const { read } = result;
      return { stamp: stampOf(result.stat), session: read && { summary: read.summary, hasUserMessage: read.hasUserMessage } };
    },
    open: () => openRollout(file, env.realRoot),
  };
}

async function whatIsStored(store: IndexStore, relPath: string) {
  const row = await store.get(relPath);
  const usage = (await store.usageOf([relPath])).get(relPath) ?? [];
  const docs = await store.documents(relPath, { mode: 'words', scope: 'all', needles: ['the'] }, 0);
  return { row, usage, docs };
}

describe('an update of a file', () => {
  it('opens it once and reads each byte of a small file once, and stores what reads of their own stored', async () => {
    const home = await realHome();
    const env: ReadEnv = { realRoot: home.realHome, limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(256 * MiB, 5_000) };
    const dir = await tempHome();
    const once = await new SqliteBackend(join(dir, 'once.sqlite'), home.realHome).open('h', true);
    const each = await new SqliteBackend(join(dir, 'each.sqlite'), home.realHome).open('h', true);
    try {
      const files = await allFiles(home);
      expect(files.length).toBeGreaterThan(5);
      let docs = 0;
      let usage = 0;
      for (const f of files) {
        const file = claudeRolloutFile(f, new Date(0).toISOString());
        const size = (await stat(file.absPath)).size;
        expect(size).toBeLessThan(64 * 1024);
        const { seen, env: counted } = counting(env);
        await indexOne(once, file, counted);
        // Before: the content pass opened the file on its own (not through ReadEnv.open), and the head read part of it twice.
        expect({ path: file.relPath, ...seen }).toEqual({ path: file.relPath, opens: 1, bytes: size });
        await indexOne(each, file, env, openEachTime(file, env));
        const stored = await whatIsStored(once, file.relPath);
        expect(stored).toEqual(await whatIsStored(each, file.relPath));
        expect(stored.row?.contentSize).toBe(size);
        docs += stored.docs?.length ?? 0;
        usage += stored.usage.length;
      }
      expect(docs).toBeGreaterThan(10);
      expect(usage).toBeGreaterThan(5);
    } finally {
      await once.close();
      await each.close();
    }
  });

  it('stores the same for a file past the bytes held, and for an append to it', async () => {
    const home = await realHome();
    const [first] = await allFiles(home);
    const dir = await tempHome();
    const projects = join(dir, 'projects', 'p');
    await mkdir(projects, { recursive: true });
    const path = join(projects, first!.relPath.split('/').pop()!);
    await copyFile(first!.absPath, path);
    const lines = (await readFile(first!.absPath, 'utf8')).split('\n').filter((l) => l !== '');
    // Grown past 64 KiB with the file's own lines: the held start, then reads of the descriptor.
    while ((await stat(path)).size < 200 * 1024) await appendFile(path, lines.slice(2).join('\n') + '\n');
    const realRoot = await realpath(dir);
    const env: ReadEnv = { realRoot, limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(256 * MiB, 5_000) };
    const name = path.split('/').pop()!;
    const file: RolloutFile = {
      ...claudeRolloutFile(first!, new Date(0).toISOString()),
      absPath: join(realRoot, 'projects', 'p', name),
      relPath: `projects/p/${name}`,
    };
    const once = await new SqliteBackend(join(dir, 'once.sqlite'), realRoot).open('h', true);
    const each = await new SqliteBackend(join(dir, 'each.sqlite'), realRoot).open('h', true);
    try {
      for (let round = 0; round < 2; round++) {
        const { seen, env: counted } = counting(env);
        await indexOne(once, file, counted);
        expect(seen.opens).toBe(1);
        await indexOne(each, file, env, openEachTime(file, env));
        const stored = await whatIsStored(once, file.relPath);
        expect(stored).toEqual(await whatIsStored(each, file.relPath));
        expect(stored.row?.contentSize).toBe((await stat(path)).size);
        expect(stored.docs?.length).toBeGreaterThan(10 * (round + 1));
        await appendFile(path, lines.slice(2, 20).join('\n') + '\n');
      }
    } finally {
      await once.close();
      await each.close();
    }
  });
});
