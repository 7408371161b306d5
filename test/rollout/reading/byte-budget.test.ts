import { describe, expect, it } from 'vitest';
import { BytePool, ClientShares, Lease, MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';

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
  // Issue 17 item 7: a count that grew past what its client's share had left asked for the whole
  // share while holding part of it, waited for its own bytes and was answered 503 after the wait.
  it('takes at most what the pool has beside its own bytes: it never waits for itself', async () => {
    const budget = new MemoryBudget(400, 60_000); // request pool 200, a client's share 100
    const lease = new Lease(budget.clients.for('a'));
    await lease.take(30);
    await lease.take(1_000);
    expect([lease.held, budget.requests.inUse]).toEqual([100, 100]);
    await lease.take(10); // holds the whole share already: nothing more to take, no wait
    expect(lease.held).toBe(100);
    lease.release();
    expect([lease.held, budget.requests.inUse]).toEqual([0, 0]);
  });

  // Two counts of one client, each holding part of its share and waiting for more, waited for
  // each other until the wait ran out (503 for both).
  it('grows one lease at a time while holding: a second that cannot grow now fails at once, and the first goes on', async () => {
    const budget = new MemoryBudget(400, 60_000); // a client's share 100
    const a = new Lease(budget.clients.for('c'));
    const b = new Lease(budget.clients.for('c'));
    await a.take(40);
    await b.take(40);
    await a.grow(10); // free now
    const aGrew = a.grow(50); // 50 + 40 + 50 > 100: waits, holding its 50
    await expect(b.grow(5)).rejects.toMatchObject({ kind: 'Unavailable' }); // a waits to grow: b gives up
    b.release(); // its request answered 503
    await aGrew;
    expect([a.held, budget.requests.inUse]).toEqual([100, 100]);
    await a.grow(1_000); // holds the whole share: alone, nothing more to take
    expect(a.held).toBe(100);
    a.release();
    expect(budget.requests.inUse).toBe(0);
    expect(budget.requests.growth.waiting).toBe(false);
  });

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

// Issue 17, item 9: one client cannot hold the whole pool.
describe('ClientShares', () => {
  it('a client holds at most its share; the others take the rest; its next request waits for its own releases', async () => {
    const shared = new BytePool(100, 60_000);
    const shares = new ClientShares(shared, 50, 60_000);
    const a = shares.for('a');
    const first = await a.acquire(40);
    const second = a.acquire(40);
    let granted = false;
    void second.then(() => (granted = true));
    // Waiting for its share, `a` holds nothing of the shared pool: b takes all the rest.
    expect(shared.inUse).toBe(40);
    const b = await shares.for('b').acquire(60);
    expect(shared.inUse).toBe(100);
    await new Promise((r) => setTimeout(r, 10));
    expect(granted).toBe(false);
    b();
    first();
    (await second)();
    expect([shared.inUse, shares.clients]).toEqual([0, 0]);
  });

  it('a wait for the share runs out with Unavailable naming the client share; an abandoned one ends at once', async () => {
    const shares = new ClientShares(new BytePool(100, 60_000), 50, 30);
    const held = await shares.for('a').acquire(50);
    await expect(shares.for('a').acquire(10)).rejects.toMatchObject({ kind: 'Unavailable', message: expect.stringContaining('share') });
    await expect(shares.for('a').acquire(10, 60_000, AbortSignal.abort())).rejects.toMatchObject({ kind: 'Unavailable' });
    held();
    expect(shares.clients).toBe(0);
  });

  it('a request larger than the share takes the whole share, alone, and its full size of the shared pool', async () => {
    const shared = new BytePool(100, 60_000);
    const shares = new ClientShares(shared, 50, 60_000);
    const big = await shares.for('a').acquire(80);
    expect(shared.inUse).toBe(80);
    expect(shares.for('a').tryAcquire(1)).toBeNull();
    big();
    expect([shared.inUse, shares.clients]).toEqual([0, 0]);
  });

  it('tryAcquire takes from both or from neither', async () => {
    const shared = new BytePool(100, 60_000);
    const shares = new ClientShares(shared, 50, 60_000);
    const other = await shared.acquire(90);
    expect(shares.for('a').tryAcquire(20)).toBeNull(); // share free, shared pool short
    expect([shared.inUse, shares.clients]).toEqual([90, 0]);
    other();
    const r = shares.for('a').tryAcquire(50);
    expect(r).toBeTypeOf('function');
    expect(shares.for('a').tryAcquire(1)).toBeNull(); // share used up, shared pool free
    r!();
    r!();
    expect([shared.inUse, shares.clients]).toEqual([0, 0]);
  });

  it('a Lease through a client counts against its share; MemoryBudget gives each client half the request pool', async () => {
    const budget = new MemoryBudget(400, 60_000);
    expect(budget.clients.share).toBe(100);
    const lease = new Lease(budget.clients.for('a'));
    await lease.take(60);
    expect(lease.tryTake(50)).toBe(false);
    expect(lease.tryTake(40)).toBe(true);
    expect(budget.requests.inUse).toBe(100);
    lease.release();
    expect([budget.requests.inUse, budget.clients.clients]).toEqual([0, 0]);
  });
});
