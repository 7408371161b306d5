import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RESPONSES_PER_STEP, RequestsFirst } from '../../../src/rollout/index/give-way.js';
import type { WriteOp } from '../../../src/rollout/index/store.js';
import { SLICE_WEIGHT, WriteBatch } from '../../../src/rollout/index/write-batch.js';

/** Long enough that a test never reaches it: the waits below end on the requests, not on a timer. */
const NEVER_MS = 10 * 60_000;

/** Turns of the event loop until `done` says so, at most `max`; how many it took. */
async function turnsUntil(done: () => boolean, max: number): Promise<number> {
  let turns = 0;
  while (!done() && turns < max) {
    await nextTurn();
    turns++;
  }
  return turns;
}

function content(relPath: string, from: number, chars: number): WriteOp {
  const at = { offset: from + 1, lineNo: from + 2, state: {} as never };
  const docs = [{ line: from + 1, role: 'assistant', kind: 'message', timestamp: null, text: 'x'.repeat(chars) }] as never;
  return { kind: 'content', relPath, from, docs, responses: [], hasRecords: false, at, fingerprint: 'f' };
}

/**
 * A background pass lets the requests under way go first (docs/index.md, "Keeping the event loop
 * free while it builds"): asserted by order and turns of the event loop, not by time.
 */
describe('a background pass gives way to requests', () => {
  it('takes one turn of the event loop when no request is under way', async () => {
    const count = new RequestsFirst(NEVER_MS);
    let done = false;
    void count.giveWay().then(() => (done = true));
    expect(await turnsUntil(() => done, 100)).toBeLessThanOrEqual(2);
  });

  it('waits while requests are under way, and goes on once none is left', async () => {
    const count = new RequestsFirst(NEVER_MS);
    const first = count.arrived();
    const second = count.arrived();
    expect(count.underWay).toBe(2);
    let done = false;
    void count.giveWay().then(() => (done = true));
    expect(await turnsUntil(() => done, 50)).toBe(50);
    first();
    first(); // a second end of one request is not another response
    expect(count.underWay).toBe(1);
    expect(await turnsUntil(() => done, 50)).toBe(50);
    second();
    expect(count.underWay).toBe(0);
    expect(await turnsUntil(() => done, 100)).toBeLessThanOrEqual(2);
  });

  it(`lets one waiting step go per ${RESPONSES_PER_STEP} responses, in order, while requests keep coming`, async () => {
    const count = new RequestsFirst(NEVER_MS);
    let current = count.arrived();
    const went: number[] = [];
    for (let i = 0; i < 3; i++) void count.giveWay().then(() => went.push(i));
    await turnsUntil(() => false, 5);
    const responses: number[] = [];
    for (let n = 1; went.length < 3 && n <= 20; n++) {
      const next = count.arrived(); // the next request arrives before the previous one's response
      current();
      current = next;
      await turnsUntil(() => false, 5);
      responses.push(went.length);
    }
    expect(went).toEqual([0, 1, 2]);
    expect(responses).toEqual(Array.from({ length: 3 * RESPONSES_PER_STEP }, (_, i) => Math.floor((i + 1) / RESPONSES_PER_STEP)));
    current();
  });

  it('lets a waiting step go after its bound when no response comes, one step per bound', async () => {
    const count = new RequestsFirst(20);
    const end = count.arrived();
    const went: number[] = [];
    const steps = [0, 1, 2].map((i) => count.giveWay().then(() => went.push(i)));
    await steps[0];
    expect(went).toEqual([0]); // the others wait a bound each
    await Promise.all(steps);
    expect(went).toEqual([0, 1, 2]);
    expect(count.underWay).toBe(1);
    end();
  });

  it('stops counting a request after its hold, however long it takes', async () => {
    const count = new RequestsFirst(NEVER_MS, 20);
    const end = count.arrived();
    let done = false;
    void count.giveWay().then(() => (done = true));
    while (!done) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(count.underWay).toBe(0);
    end(); // its response later ends nothing more
    expect(count.underWay).toBe(0);
  });

  it('lets every step go while work outside the pass waits for one of them', async () => {
    const count = new RequestsFirst(NEVER_MS);
    const end = count.arrived();
    let waited = false;
    void count.giveWay().then(() => (waited = true));
    expect(await turnsUntil(() => waited, 20)).toBe(20);
    const hurried = count.hurry(); // a request's catch-up behind the pass's update of one file
    expect(await turnsUntil(() => waited, 100)).toBeLessThanOrEqual(2);
    let next = false;
    void count.giveWay().then(() => (next = true));
    expect(await turnsUntil(() => next, 100)).toBeLessThanOrEqual(2);
    hurried();
    hurried();
    let after = false;
    void count.giveWay().then(() => (after = true));
    expect(await turnsUntil(() => after, 50)).toBe(50); // the request is still under way
    end();
    expect(await turnsUntil(() => after, 100)).toBeLessThanOrEqual(2);
  });

  it("writes a pass's slices only while no request is under way, the first slice of a flush too", async () => {
    const count = new RequestsFirst(NEVER_MS);
    const written: number[] = [];
    const batch = new WriteBatch(async (ops) => void written.push(ops.length), () => count.giveWay());
    for (let i = 0; i < 8; i++) batch.add(content('a.jsonl', i, SLICE_WEIGHT / 2));
    const end = count.arrived();
    const flushed = batch.flush();
    expect(await turnsUntil(() => written.length > 0, 50)).toBe(50);
    end();
    await flushed;
    expect(written.length).toBeGreaterThanOrEqual(4);
    expect(batch.yields).toBe(written.length);
    // A request arriving between two slices holds the next one back.
    for (let i = 0; i < 8; i++) batch.add(content('b.jsonl', i, SLICE_WEIGHT / 2));
    const before = written.length;
    const again = batch.flush();
    await turnsUntil(() => written.length > before, 100);
    const held = count.arrived();
    const at = written.length;
    expect(await turnsUntil(() => written.length > at, 50)).toBe(50);
    held();
    await again;
    expect(written.length).toBeGreaterThan(at);
  });
});
