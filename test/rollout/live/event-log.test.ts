import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog, type FeedEvent } from '../../../src/rollout/live/event-log.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import type { SessionSummary } from '../../../src/rollout/types.js';
import { tempHome } from '../../helper.js';

const summary = (id: string, title = 't'): SessionSummary => ({
  id, path: `sessions/${id}.jsonl`, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', sizeBytes: 1,
  title, name: null, cwd: null, source: 'cli', originator: null, cliVersion: null, modelProvider: 'openai', git: null,
  forkedFromId: null, archived: false, usage: null,
});

function collect(log: EventLog, lastId: number | null): FeedEvent[] {
  const got: FeedEvent[] = [];
  log.subscribe(lastId, (e) => got.push(e))();
  return got;
}

describe('EventLog', () => {
  it('gives ids that go up by one from the start time in microseconds, and delivers to subscribers as they come', () => {
    const before = Date.now() * 1000;
    const log = new EventLog({ capacity: 10, maxBytes: 1 << 20 });
    const live: FeedEvent[] = [];
    const stop = log.subscribe(null, (e) => live.push(e));
    const a = log.append('created', summary('a'));
    const b = log.append('updated', summary('a'));
    stop();
    log.append('removed', summary('a'));
    expect(a.id).toBeGreaterThanOrEqual(before);
    expect(b.id).toBe(a.id + 1);
    expect(live).toEqual([a, b]);
  });

  it('replays what follows a last id; an id before the log or not given out gets one reset with the newest id', () => {
    const log = new EventLog({ capacity: 5, maxBytes: 1 << 20 });
    const events = Array.from({ length: 8 }, (_, i) => log.append('updated', summary(String(i))));
    expect(log.size).toBe(5);
    expect(collect(log, events[4]!.id)).toEqual(events.slice(5));
    expect(collect(log, events[2]!.id)).toEqual(events.slice(3)); // the one before the oldest kept
    expect(collect(log, events[7]!.id)).toEqual([]);
    for (const stale of [events[1]!.id, 1, events[7]!.id + 1]) {
      expect(collect(log, stale)).toEqual([{ id: events[7]!.id, change: 'reset', reason: 'expired' }]);
    }
    expect(collect(log, null)).toEqual([]);
  });

  it('keeps at least `capacity` events of normal size, and stays within maxBytes when titles are huge', () => {
    const log = new EventLog({ capacity: 10_000, maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 12_000; i++) log.append('updated', summary(String(i), 'a title of a normal length'));
    expect(log.size).toBe(10_000);
    const small = new EventLog({ capacity: 100, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 100; i++) small.append('updated', summary(String(i), 'x'.repeat(100_000)));
    expect(small.size).toBeLessThan(10); // ~200 KB each
    expect(small.size).toBeGreaterThan(0);
  });
});

describe('the tree version', () => {
  it('is null while nothing watches the tree, and when the home cannot be watched', async () => {
    const home = await tempHome();
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 100, log: pino({ level: 'silent' }) });
    expect(repo.freshness(true)).toBeNull();
    await repo.live.watchTree();
    expect(repo.freshness(true)).not.toBeNull();
    await repo.close();
    const missing = new RolloutRepository({ codexHome: join(home, 'nope'), maxScanFiles: 100, log: pino({ level: 'silent' }) });
    await missing.live.watchTree();
    expect(missing.freshness(true)).toBeNull();
    await missing.close();
  });
});
