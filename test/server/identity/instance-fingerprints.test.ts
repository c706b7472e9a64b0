/** Clone detection's memory: which fingerprints an instance keeps, and what they catch. */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../../src/clock/hlc.ts';
import type { SyncChange } from '../../../src/protocol/types.ts';
import { assertSameChanges, changeFingerprint, FINGERPRINTS_PER_PUSH, RECENT_FINGERPRINTS, withFingerprints } from '../../../src/server/instance-fingerprints.ts';

const SOURCE = '0190f5e1-0000-7000-8000-00000000000a';
const change = (seq: number, value: string = `v${seq}`): SyncChange => ({
  seq,
  source: SOURCE,
  collective: 'notes',
  id: `r${seq}`,
  op: 'put',
  value,
  hlc: formatHlc({ wallMs: 1_700_000_000_000 + seq, counter: 0, node: 'a' }),
  baseVersion: null,
});
const range = (from: number, to: number): SyncChange[] => Array.from({ length: to - from + 1 }, (_, i) => change(from + i));

describe('instance fingerprints', () => {
  it('keeps, of each push, its first new change and its last ones, and at most the latest few in all', () => {
    const first = withFingerprints([], range(1, 100), 0);
    expect(first.map(([seq]) => seq)).toEqual([1, ...range(100 - FINGERPRINTS_PER_PUSH + 1, 100).map((c) => c.seq)]);
    let recent = first;
    for (let push = 0; push < 10; push++) recent = withFingerprints(recent, range(101 + push * 10, 110 + push * 10), 100 + push * 10);
    expect(recent).toHaveLength(RECENT_FINGERPRINTS);
    expect(recent[recent.length - 1]?.[0]).toBe(200);
    // Changes at or below what was applied (a re-sent part) are not fingerprinted again.
    expect(withFingerprints([], range(1, 5), 5)).toEqual([]);
  });

  it('lets a re-sent change through and stops a different one at a fingerprinted seq', () => {
    const recent = withFingerprints([], range(1, 3), 0);
    expect(() => assertSameChanges(SOURCE, recent, range(1, 6), 3)).not.toThrow();
    expect(() => assertSameChanges(SOURCE, recent, [change(1), change(2, 'the copy'), change(4)], 3)).toThrow(expect.objectContaining({ code: 'INSTANCE_CLONED' }));
    // A seq the server keeps no fingerprint of cannot be told apart (documented limit).
    const sparse = withFingerprints([], range(1, 40), 0);
    expect(sparse.some(([seq]) => seq === 10)).toBe(false);
    expect(() => assertSameChanges(SOURCE, sparse, [change(10, 'the copy')], 40)).not.toThrow();
  });

  it('fingerprints what a change does, not how it was sent', () => {
    expect(changeFingerprint(change(1))).toBe(changeFingerprint({ ...change(1), baseVersion: 7 }));
    expect(changeFingerprint(change(1))).not.toBe(changeFingerprint({ ...change(1), hlc: formatHlc({ wallMs: 1, counter: 0, node: 'a' }) }));
    const { value: _value, ...put } = change(1);
    expect(changeFingerprint({ ...put, op: 'delete' })).not.toBe(changeFingerprint({ ...put, op: 'put', value: null }));
  });
});
