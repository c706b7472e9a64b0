/**
 * A small seeded pseudo-random generator (sfc32, from PractRand), so chaos tests replay
 * exactly from a seed. Not for anything that needs unpredictability.
 */

/** A seeded source of numbers in [0, 1), plus the helpers chaos tests reach for. */
export interface SeededRandom {
  /** The seed it was made from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new generator whose sequence depends on this one's seed and `salt` only. */
  fork(salt: number): SeededRandom;
}

function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Mixes a 32-bit seed into well-spread state words (splitmix32). */
function splitmix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A generator seeded with a 32-bit integer: the same seed gives the same sequence. */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isInteger(seed)) throw new TypeError(`seededRandom: seed must be an integer, got ${seed}`);
  const mix = splitmix32(seed);
  const raw = sfc32(mix(), mix(), mix(), mix());
  for (let i = 0; i < 12; i++) raw(); // warm-up, as sfc32's author recommends
  const random: SeededRandom = {
    seed,
    next: raw,
    int(min, max) {
      return min + Math.floor(raw() * (max - min + 1));
    },
    chance(p) {
      return p > 0 && raw() < p;
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('seededRandom.pick: empty array');
      return items[Math.floor(raw() * items.length)] as (typeof items)[number];
    },
    fork(salt) {
      return seededRandom((Math.imul(seed, 0x2c1b3c6d) ^ Math.imul(salt + 1, 0x297a2d39)) | 0);
    },
  };
  return random;
}
