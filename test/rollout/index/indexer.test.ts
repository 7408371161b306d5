import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import { envelopeLines, tempHome, uuidN, writeSession, type Line } from '../../helper.js';

/** A line that only fills 5 KiB (no text, no usage). */
const padLine = (): Line => ({ timestamp: '2025-01-01T00:00:00Z', type: 'event_msg', payload: { type: 'x', pad: 'y'.repeat(5000) } });

async function indexedRepository(home: string, path?: string) {
  path ??= join(await tempHome(), 'index.sqlite');
  const index = sqliteIndex({ path, verifyDelayMs: 0 });
  const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log: pino({ level: 'silent' }), index });
  repo.start();
  await repo.indexIdle();
  return { repo, path };
}

function row(path: string, id: string) {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT size, cwd_norm AS cwd, has_user_message AS hasUserMessage, title FROM sessions WHERE id = ?').get(id) as {
      size: number;
      cwd: string;
      hasUserMessage: number;
      title: string | null;
    };
  } finally {
    db.close();
  }
}

/** Waits for the watcher to notice a change and the index to take it in. */
async function settle(repo: RolloutRepository, path: string, id: string, size: number) {
  for (let i = 0; i < 100 && row(path, id).size !== size; i++) {
    await new Promise((r) => setTimeout(r, 20));
    await repo.indexIdle();
  }
}

describe('the indexer', () => {
  it('takes an append to a titled session without reading the file again', async () => {
    const home = await tempHome();
    // The cwd lies between the 4 KiB the append check samples at each end of the indexed bytes.
    const [meta, ...rest] = envelopeLines({ stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'hello', cwd: '/home/u/aaa' });
    const head = meta as { payload: object };
    const lines = [{ ...head, payload: { pad: 'x'.repeat(5000), ...head.payload } }, ...rest, padLine()];
    const rel = await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1) }, lines);
    const { repo, path } = await indexedRepository(home);
    expect(row(path, uuidN(1))).toMatchObject({ cwd: '/home/u/aaa', hasUserMessage: 1, title: 'hello' });
    // Rewrite the head in place (same length, same inode) and append: only a re-read would see the new cwd.
    const file = join(home, rel);
    await writeFile(file, (await readFile(file, 'utf8')).replace('/home/u/aaa', '/home/u/bbb'));
    await writeFile(file, '{"timestamp":"t","type":"event_msg","payload":{"type":"x"}}\n', { flag: 'a' });
    const size = (await readFile(file)).length;
    await settle(repo, path, uuidN(1), size);
    await repo.close();
    expect(row(path, uuidN(1))).toMatchObject({ size, cwd: '/home/u/aaa', title: 'hello' });
  });

  it('re-reads a session that had no user message when it grows', async () => {
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(2), title: null });
    const { repo, path } = await indexedRepository(home);
    expect(row(path, uuidN(2))).toMatchObject({ hasUserMessage: 0, title: null });
    const later = envelopeLines({ stamp: '2025-01-01T00-00-00', id: uuidN(2), title: 'typed later' }).slice(2);
    await writeFile(join(home, rel), later.map((l) => `${JSON.stringify(l)}\n`).join(''), { flag: 'a' });
    const size = (await readFile(join(home, rel))).length;
    await settle(repo, path, uuidN(2), size);
    await repo.close();
    expect(row(path, uuidN(2))).toMatchObject({ size, hasUserMessage: 1, title: 'typed later' });
  });
});
