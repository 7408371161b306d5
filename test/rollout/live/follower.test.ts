import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { RolloutRepository, type FollowEvent } from '../../../src/rollout/repository.js';
import { tempHome, uuidN, writeSession } from '../../helper.js';

const MiB = 1024 * 1024;

describe('a follower and the memory budget', () => {
  it('holds a line over the hold bound only with bytes from the long-line pool: it waits while the pool is full', async () => {
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: '2025-10-01T08-00-00', id: uuidN(1), title: 'followed' });
    const memory = new MemoryBudget(2 * MiB, 60_000);
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 100, log: pino({ level: 'silent' }), memory, followPollMs: 20 });
    try {
      const follower = await repo.live.follow(await repo.findById(uuidN(1)), { from: 'end' });
      const events = follower.events();
      const next = events.next();
      const received: FollowEvent[] = [];
      void next.then((r) => r.done !== true && received.push(r.value));
      const release = await memory.lines.acquire(memory.lines.capacity); // everything a long line could take
      const line = JSON.stringify({ type: 'event_msg', payload: { type: 'agent_message', message: 'x'.repeat(200_000) } });
      await appendFile(join(home, rel), `${line}\n`);
      await sleep(300);
      expect(received).toEqual([]); // read and found long, but not held while the pool has no room
      release();
      await next;
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ kind: 'record' });
      expect((received[0] as { json: Buffer }).json.toString('utf8')).toBe(line);
      await events.return(undefined);
      await follower.close();
    } finally {
      await repo.close();
    }
  });
});
