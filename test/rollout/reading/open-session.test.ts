import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openSession } from '../../../src/rollout/reading/open-session.js';
import type { RolloutFile } from '../../../src/rollout/types.js';
import { tempHome, uuidN } from '../../helper.js';

// Issue 16: one "open a session for a request" (the JSON and NDJSON reads and per-session usage used three copies).
describe('openSession', () => {
  const fileAt = (home: string, name: string): RolloutFile => ({
    key: `2025-01-01T00-00-00|${uuidN(1)}`,
    stamp: '2025-01-01T00-00-00',
    id: uuidN(1),
    absPath: join(home, 'sessions', name),
    relPath: `sessions/${name}`,
    archived: false,
  });

  it('opens a regular file inside the home, with its stat', async () => {
    const home = await realpath(await tempHome());
    await mkdir(join(home, 'sessions'));
    await writeFile(join(home, 'sessions', 'a.jsonl'), '{}\n');
    const opened = await openSession(fileAt(home, 'a.jsonl'), home);
    expect(opened.stat.size).toBe(3);
    await opened.close();
  });

  it('a file that is gone, a link out of the home or a FIFO is NotFound, naming the id and no path', async () => {
    const home = await realpath(await tempHome());
    const outside = await realpath(await tempHome());
    await mkdir(join(home, 'sessions'));
    await writeFile(join(outside, 'secret.jsonl'), '{}\n');
    await symlink(join(outside, 'secret.jsonl'), join(home, 'sessions', 'link.jsonl'));
    execFileSync('mkfifo', [join(home, 'sessions', 'fifo.jsonl')]);
    for (const name of ['gone.jsonl', 'link.jsonl', 'fifo.jsonl']) {
      await expect(openSession(fileAt(home, name), home)).rejects.toMatchObject({
        kind: 'NotFound',
        message: `no session with id ${uuidN(1)}`,
      });
    }
  });
});
