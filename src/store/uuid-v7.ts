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

/** `value` in `digits` lowercase hex digits. */
function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/** `bytes` as lowercase hex, two digits each. */
export function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => hex(b, 2)).join('');
}

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
    // Written as hex fields rather than bytes: 48 bits of milliseconds (beyond 32 bits,
    // so no bitwise operators on ms); version 7 and counter bits 31–20; variant 10 and
    // counter bits 19–6; counter bits 5–0 above 2 random bits; 40 random bits.
    const time = hex(ms, 12);
    bytes[10] = ((counter & 0x3f) << 2) | (bytes[10] & 0x03);
    return `${time.slice(0, 8)}-${time.slice(8)}-${hex(0x7000 | (counter >>> 20), 4)}-${hex(0x8000 | ((counter >>> 6) & 0x3fff), 4)}-${hexOf(bytes.subarray(10))}`;
  };
}

/** A new UUID v7 string, e.g. `01936b2e-7c4a-7d2e-9f3b-5a1c2e4d6f80`. */
export const uuidV7: () => string = /* @__PURE__ */ uuidV7Generator();
