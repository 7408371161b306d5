import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { holdPassHeap, passHeapPercent, PASS_HEAP_GROWING_PERCENT } from '../../../src/rollout/index/pass-heap.js';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import { RolloutRepository } from '../../../src/rollout/repository.js';
import { tempHome, uuidN, writeSession } from '../../helper.js';

const run = promisify(execFile);

/**
 * The peak of V8's used heap (MB) of a child that keeps ~16 MB alive, collects once (V8 sets its
 * next limit from what survived), then makes garbage that survives ~200 rounds (promoted, then
 * dead in the old generation), with the growing percent set at run time as pass-heap.ts sets it:
 * a fixed percent, so the peak does not depend on how fast the machine collects (V8's own rule does).
 */
async function peakWith(percent: number): Promise<number> {
  const script = `
    require('node:v8').setFlagsFromString('--heap-growing-percent=${percent}');
    const live = [];
    for (let i = 0; i < 100000; i++) live.push({ a: 'x' + i, b: [i] });
    gc();
    const hold = [];
    let peak = 0;
    for (let round = 0; round < 3000; round++) {
      const batch = [];
      for (let i = 0; i < 500; i++) batch.push({ s: 'y' + i, n: [round, i] });
      hold.push(batch);
      if (hold.length > 200) hold.shift();
      if (round % 20 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    process.stdout.write(String(peak / 1e6) + ' ' + live.length);
  `;
  const { stdout } = await run(process.execPath, ['--expose-gc', '-e', script]);
  return Number(stdout.split(' ')[0]);
}

describe('the heap rule of a full index pass (pass-heap.ts)', () => {
  it('is held while a pass runs and given back when it ends', async () => {
    const home = await tempHome();
    for (let i = 1; i <= 3; i++) await writeSession(home, { stamp: `2025-01-0${i}T00-00-00`, id: uuidN(i), title: `t${i}` });
    const seen: { msg: string; percent: number }[] = [];
    const log = pino({ level: 'info' }, {
      write(line: string) {
        const { msg } = JSON.parse(line) as { msg: string };
        if (msg.startsWith('metadata index pass')) seen.push({ msg, percent: passHeapPercent() });
      },
    });
    const index = sqliteIndex({ path: join(await tempHome(), 'index.sqlite'), verifyDelayMs: 60_000 });
    const repo = new RolloutRepository({ codexHome: home, maxScanFiles: 1000, log, index });
    try {
      repo.start();
      await repo.indexIdle();
      expect(seen.map((s) => s.msg)).toEqual(['metadata index pass started', 'metadata index pass complete']);
      expect(seen.map((s) => s.percent)).toEqual([PASS_HEAP_GROWING_PERCENT, PASS_HEAP_GROWING_PERCENT]);
      expect(passHeapPercent()).toBe(0);
    } finally {
      await repo.close();
    }
  });

  it('lasts until the last of overlapping holders lets go; a second release does nothing', () => {
    const one = holdPassHeap();
    const two = holdPassHeap();
    expect(passHeapPercent()).toBe(PASS_HEAP_GROWING_PERCENT);
    one();
    one();
    expect(passHeapPercent()).toBe(PASS_HEAP_GROWING_PERCENT);
    two();
    expect(passHeapPercent()).toBe(0);
  });

  it('leaves an operator\'s own --heap-growing-percent alone', async () => {
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--heap-growing-percent=200';
    try {
      vi.resetModules();
      const fresh = await import('../../../src/rollout/index/pass-heap.js');
      const release = fresh.holdPassHeap();
      expect(fresh.passHeapPercent()).toBe(0);
      release();
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
      vi.resetModules();
    }
  });

  it('takes effect when set at run time on this Node (V8 reads it at each full collection)', { timeout: 120_000 }, async () => {
    const [tight, loose] = await Promise.all([peakWith(PASS_HEAP_GROWING_PERCENT), peakWith(300)]);
    // The same garbage: a 1.5× old generation peaks well below a 4× one (~80 MB against ~155 MB).
    expect(tight).toBeLessThan(loose * 0.75);
  });
});
