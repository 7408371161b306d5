import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIGEST_BYTES, DigestSet } from '../../../../src/rollout/sources/common/digest-set.js';

const digest = (n: number) => createHash('sha256').update(`thread/resp_${n}`).digest().subarray(0, DIGEST_BYTES);

describe('DigestSet', () => {
  it('holds what a Set of the digests would, through its growths, and gives every digest back', () => {
    const set = new DigestSet();
    const naive = new Set<string>();
    for (let n = 0; n < 20_000; n++) {
      const d = digest(n % 15_000); // a quarter of the adds repeat an earlier digest
      expect(set.add(d)).toBe(!naive.has(d.toString('hex')));
      naive.add(d.toString('hex'));
    }
    expect(set.size).toBe(15_000);
    expect(set.has(digest(14_999))).toBe(true);
    expect(set.has(digest(15_000))).toBe(false);
    expect(new Set(Array.from(set.digests(), (d) => d.toString('hex')))).toEqual(naive);
    // 15,000 keys: a table of 32,768 slots of 12 bytes, counted twice (a growth allocates the next beside it).
    expect(set.heldBytes).toBe(2 * 32_768 * DIGEST_BYTES);
  });

  it('keeps the all-zero digest (the mark of an empty slot) apart', () => {
    const set = new DigestSet();
    const zero = Buffer.alloc(DIGEST_BYTES);
    expect(set.has(zero)).toBe(false);
    expect([set.add(zero), set.add(zero), set.size, set.has(zero)]).toEqual([true, false, 1, true]);
    expect(Array.from(set.digests())).toEqual([zero]);
  });
});
