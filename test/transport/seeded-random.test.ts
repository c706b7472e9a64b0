import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/testing/seeded-random.ts';

describe('seeded random', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = Array.from({ length: 5 }, seededRandom(7).next);
    const b = Array.from({ length: 5 }, seededRandom(7).next);
    const c = Array.from({ length: 5 }, seededRandom(8).next);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps int() within its bounds and spreads over all of them', () => {
    const random = seededRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const n = random.int(3, 6);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(6);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
});
