/**
 * UUID version 7 (RFC 9562 §5.7) for replica ids: 48 bits of Unix milliseconds, then a
 * 32-bit counter seeded at random each millisecond, then random bits. Ids made by one
 * generator sort in the order they were made, within a millisecond too (RFC 9562 §6.2,
 * method 1), and when the wall clock steps back. A dozen lines instead of the `uuid`
 * package, which the worker bundle would otherwise carry for this one call.
 */

/** Where a generator gets its time and random bytes (injectable for tests). */
export interface UuidV7Sources {
  /** Default `Date.now`. */
  readonly now?: () => number;
  /** Fills `bytes` with random values. Default `crypto.getRandomValues`. */
  readonly random?: (bytes: Uint8Array) => void;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Returns a generator of UUID v7 strings, each greater than the one before. */
export function uuidV7Generator(sources: UuidV7Sources = {}): () => string {
  const now = sources.now ?? (() => Date.now());
  const random = sources.random ?? ((bytes: Uint8Array) => void crypto.getRandomValues(bytes));
  let lastMs = -Infinity;
  let counter = 0;
  return () => {
    const bytes = new Uint8Array(16);
    random(bytes);
    let ms = Math.max(now(), lastMs);
    if (ms > lastMs) {
      // A fresh millisecond: seed the counter below 2^31, leaving 2^31 increments.
      counter = ((bytes[6] << 23) | (bytes[7] << 15) | (bytes[8] << 7) | (bytes[9] >>> 1)) >>> 0;
    } else if (++counter > 0xffff_ffff) {
      // 2^31 ids in one millisecond: borrow the next one (RFC 9562 §6.2).
      ms += 1;
      counter = 0;
    }
    lastMs = ms;
    // 48-bit big-endian milliseconds (beyond 32 bits, so no bitwise operators on ms).
    for (let i = 5, rest = ms; i >= 0; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
    bytes[6] = 0x70 | (counter >>> 28); // version 7, counter bits 31–28
    bytes[7] = (counter >>> 20) & 0xff;
    bytes[8] = 0x80 | ((counter >>> 14) & 0x3f); // variant 10, counter bits 19–14
    bytes[9] = (counter >>> 6) & 0xff;
    bytes[10] = ((counter & 0x3f) << 2) | (bytes[10] & 0x03); // counter bits 5–0, 2 random bits
    let out = '';
    for (let i = 0; i < 16; i++) out += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX[bytes[i]];
    return out;
  };
}

/** A new UUID v7 string, e.g. `01936b2e-7c4a-7d2e-9f3b-5a1c2e4d6f80`. */
export const uuidV7: () => string = /* @__PURE__ */ uuidV7Generator();
