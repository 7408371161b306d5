export interface LruLimits {
  /** Total weight (bytes, usually) the cache may hold. */
  maxWeight: number;
  maxEntries: number;
  /** The largest share of maxWeight one value may take and still be kept (default a quarter). */
  largestShare?: number;
}

/**
 * The one bounded LRU of the service (built response bodies, listing reads): entries carry a
 * weight, the least recently used go first when either bound is passed, and an entry heavier
 * than its share of the whole (a quarter unless told) is not kept, because one huge value would
 * flush everything else.
 */
export class WeightedLru<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(private readonly limits: LruLimits) {}

  /** The value, marked as just used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The value without changing the order (a lookup that is not a use). */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Keeps `value` (replacing any value of `key`) unless it alone weighs over its share of the bound. */
  set(key: K, value: V, weight: number): void {
    this.delete(key);
    if (weight > this.limits.maxWeight * (this.limits.largestShare ?? 0.25)) return;
    this.entries.set(key, { value, weight });
    this.total += weight;
    this.evict();
  }

  /** Adds weight to a kept value (a compressed copy of a body, say); false when `value` is no longer the kept one. */
  grow(key: K, value: V, extra: number): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.value !== value) return false;
    entry.weight += extra;
    this.total += extra;
    this.evict();
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }

  get weight(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    for (const [key] of this.entries) {
      if (this.total <= this.limits.maxWeight && this.entries.size <= this.limits.maxEntries) break;
      this.delete(key);
    }
  }
}
