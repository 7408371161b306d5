import { describe, expect, it } from 'vitest';
import { BytePool, Lease } from '../../../src/rollout/reading/byte-budget.js';

describe('BytePool', () => {
  it('grants what is free at once, and makes the rest wait first come, first served', async () => {
    const pool = new BytePool(100, 60_000);
    const a = await pool.acquire(60);
    const order: string[] = [];
    const b = pool.acquire(50).then((release) => (order.push('b'), release));
    const c = pool.acquire(10).then((release) => (order.push('c'), release));
    // c would fit now, but b came first: nothing overtakes a waiter.
    expect(pool.tryAcquire(10)).toBeNull();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    a();
    (await b)();
    (await c)();
    expect(order).toEqual(['b', 'c']);
    expect(pool.inUse).toBe(0);
  });

  it('fails with Unavailable after the wait, and those behind go on', async () => {
    const pool = new BytePool(100, 30);
    const held = await pool.acquire(90);
    const waiting = pool.acquire(50);
    await expect(waiting).rejects.toMatchObject({ kind: 'Unavailable' });
    expect((await pool.acquire(10))).toBeTypeOf('function');
    held();
  });

  it('grants a request larger than the pool the whole pool, alone; a release counts once', async () => {
    const pool = new BytePool(100, 60_000);
    const all = await pool.acquire(500);
    expect(pool.inUse).toBe(100);
    all();
    all();
    expect(pool.inUse).toBe(0);
  });

  it('waits as long as it takes with an infinite wait (background work)', async () => {
    const pool = new BytePool(10, 1);
    const held = await pool.acquire(10);
    const later = pool.acquire(10, Number.POSITIVE_INFINITY);
    setTimeout(held, 20);
    expect(await later).toBeTypeOf('function');
  });
});

describe('Lease', () => {
  it('takes a share, then small amounts only while they are free, and gives everything back at once', async () => {
    const pool = new BytePool(100, 60_000);
    const lease = new Lease(pool);
    await lease.take(40);
    expect(lease.tryTake(50)).toBe(true);
    expect(lease.tryTake(20)).toBe(false);
    expect(pool.inUse).toBe(90);
    lease.release();
    lease.release();
    expect(pool.inUse).toBe(0);
  });
});

describe('BytePool waits of requests whose client went away', () => {
  it('end at once, take nothing, and let those behind go on', async () => {
    const pool = new BytePool(100, 60_000);
    const held = await pool.acquire(100);
    const abandoned = new AbortController();
    const first = pool.acquire(80, undefined, abandoned.signal);
    const second = pool.acquire(80);
    abandoned.abort();
    await expect(first).rejects.toMatchObject({ kind: 'Unavailable' });
    held();
    expect(await second).toBeTypeOf('function');
    expect(pool.inUse).toBe(80);
    await expect(pool.acquire(1, undefined, AbortSignal.abort())).rejects.toMatchObject({ kind: 'Unavailable' });
  });
});

describe('a released Lease', () => {
  it('takes nothing more: a request may go on working after its response was abandoned', async () => {
    const pool = new BytePool(100, 60_000);
    const lease = new Lease(pool);
    await lease.take(10);
    lease.release();
    expect(lease.tryTake(10)).toBe(false);
    await lease.take(10);
    expect(pool.inUse).toBe(0);
  });
});
