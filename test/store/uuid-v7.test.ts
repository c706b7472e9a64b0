/**
 * Replica ids are UUID v7 (RFC 9562): the version and variant bits in place, the
 * millisecond timestamp up front, and ids of one generator in the order they were made —
 * within one millisecond and when the wall clock steps back too.
 */
import { describe, expect, it } from 'vitest';
import { uuidV7, uuidV7Generator } from '../../src/store/uuid-v7.ts';
import { parseHandshakeRequest } from '../../src/protocol/validate.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/types.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix milliseconds in the first 48 bits. */
function timestampOf(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/** A seeded byte source (xorshift32), so a failure replays. */
function seededRandom(seed: number): (bytes: Uint8Array) => void {
  let state = seed >>> 0 || 1;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes[i] = state & 0xff;
    }
  };
}

describe('uuidV7', () => {
  it('has the v7 layout, the time of its making, and is accepted as an instance id', () => {
    const before = Date.now();
    const id = uuidV7();
    const after = Date.now();
    expect(id).toMatch(V7);
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(id)).toBeLessThanOrEqual(after);
    expect(() => parseHandshakeRequest({ instanceId: id, protocolVersion: PROTOCOL_VERSION, capabilities: [] })).not.toThrow();
  });

  it('ids made within one millisecond are unique and in the order they were made', () => {
    const next = uuidV7Generator({ now: () => 1_700_000_000_000, random: seededRandom(7) });
    const ids = Array.from({ length: 5000 }, next);
    for (const id of ids) expect(id).toMatch(V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(timestampOf(ids[0] as string)).toBe(1_700_000_000_000);
  });

  it('stays in order when the wall clock steps back', () => {
    const times = [5_000, 5_001, 4_000, 4_000, 5_002];
    const next = uuidV7Generator({ now: () => times.shift() ?? 6_000, random: seededRandom(11) });
    const ids = Array.from({ length: 6 }, next);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map(timestampOf)).toEqual([5_000, 5_001, 5_001, 5_001, 5_002, 6_000]);
  });

  it('each new millisecond starts its counter at random, not where the last one stopped', () => {
    const counters = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) counters.add(uuidV7Generator({ now: () => 42, random: seededRandom(seed) })().slice(14, 23));
    expect(counters.size).toBeGreaterThan(1);
  });

  it('lays out time, version, counter, variant and random bits exactly as RFC 9562 §5.7 places them', () => {
    // The bits are pinned, not just the shape: all-zero and all-one random bytes seed the
    // counter at its least and greatest, and the second id of each is that counter + 1.
    const zeros = uuidV7Generator({ now: () => 1_700_000_000_000, random: (bytes) => bytes.fill(0) });
    expect([zeros(), zeros()]).toEqual(['018bcfe5-6800-7000-8000-000000000000', '018bcfe5-6800-7000-8000-040000000000']);
    const ones = uuidV7Generator({ now: () => 1_700_000_000_000, random: (bytes) => bytes.fill(0xff) });
    expect([ones(), ones()]).toEqual(['018bcfe5-6800-77ff-bfff-ffffffffffff', '018bcfe5-6800-7800-8000-03ffffffffff']);
    const seeded = uuidV7Generator({ now: () => 1_700_000_000_000, random: seededRandom(7) });
    expect([seeded(), seeded()]).toEqual(['018bcfe5-6800-75d2-af5e-15e4a8fe4535', '018bcfe5-6800-75d2-af5e-1857faa13597']);
  });
});
