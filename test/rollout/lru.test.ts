import { describe, expect, it } from 'vitest';
import { WeightedLru } from '../../src/rollout/lru.js';

describe('WeightedLru', () => {
  it('drops the least recently used first when the weight bound is passed', () => {
    const lru = new WeightedLru<string, number>({ maxWeight: 100, maxEntries: 10 });
    lru.set('a', 1, 20);
    lru.set('b', 2, 20);
    lru.set('c', 3, 20);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('d', 4, 25);
    lru.set('e', 5, 25); // 110 > 100: b goes
    expect(lru.peek('b')).toBeUndefined();
    expect([lru.peek('a'), lru.peek('c'), lru.peek('d'), lru.peek('e')]).toEqual([1, 3, 4, 5]);
    expect(lru.weight).toBe(90);
  });

  it('drops the oldest when the entry bound is passed, and peek does not count as a use', () => {
    const lru = new WeightedLru<string, number>({ maxWeight: 1000, maxEntries: 2 });
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    lru.peek('a');
    lru.set('c', 3, 1);
    expect(lru.peek('a')).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it('keeps no value heavier than a quarter of the bound, and forgets the key it replaced', () => {
    const lru = new WeightedLru<string, string>({ maxWeight: 100, maxEntries: 10 });
    lru.set('k', 'small', 10);
    lru.set('k', 'huge', 26);
    expect(lru.peek('k')).toBeUndefined();
    expect(lru.weight).toBe(0);
  });

  it('grows only the value still kept under its key', () => {
    const lru = new WeightedLru<string, object>({ maxWeight: 100, maxEntries: 10 });
    const first = {};
    lru.set('k', first, 10);
    expect(lru.grow('k', first, 5)).toBe(true);
    expect(lru.weight).toBe(15);
    lru.set('k', {}, 10);
    expect(lru.grow('k', first, 5)).toBe(false);
    expect(lru.weight).toBe(10);
    lru.set('j', {}, 20);
    lru.grow('k', lru.peek('k')!, 80); // 110 > 100: k is the oldest and goes, with its growth
    expect(lru.peek('k')).toBeUndefined();
    expect(lru.weight).toBe(20);
  });
});
