/**
 * The drift bound of the hybrid logical clock (issue 11, finding 1): a clock further
 * ahead than the bound is never adopted, and no stamp the clock hands out is refused by
 * the rule it applies itself.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CLOCK_DRIFT_MS, HybridClock, formatHlc, isHlc, isWithinDrift, parseHlc } from '../../src/clock/hlc.ts';

const POISON = '999999999999999:999999:zzzz';
const NOW = 1_700_000_000_000;

describe('isWithinDrift', () => {
  it('refuses the poison value of finding 1', () => {
    expect(isWithinDrift(POISON, NOW, DEFAULT_MAX_CLOCK_DRIFT_MS)).toBe(false);
  });

  it('takes a clock up to the bound ahead, and any clock behind', () => {
    const at = (wallMs: number) => formatHlc({ wallMs, counter: 999_999, node: 'n' });
    expect(isWithinDrift(at(NOW + 60_000), NOW, 60_000)).toBe(true);
    expect(isWithinDrift(at(NOW + 60_001), NOW, 60_000)).toBe(false);
    expect(isWithinDrift(at(0), NOW, 60_000)).toBe(true);
  });

  it('refuses what is not a timestamp', () => {
    expect(isWithinDrift('1000000000000000:000000:a', NOW, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isWithinDrift('soon', NOW, DEFAULT_MAX_CLOCK_DRIFT_MS)).toBe(false);
  });

  it('is five minutes by default', () => {
    expect(DEFAULT_MAX_CLOCK_DRIFT_MS).toBe(300_000);
  });
});

describe('hybrid clock with a drift bound', () => {
  it('does not adopt the poison value: the next stamp is on the wall clock and valid', () => {
    const clock = new HybridClock({ node: 'a', now: () => NOW });
    expect(clock.observe(POISON)).toBe(false);
    const stamp = clock.tick();
    expect(isHlc(stamp)).toBe(true);
    expect(parseHlc(stamp)).toEqual({ wallMs: NOW, counter: 0, node: 'a' });
  });

  it('drops a poisoned stamp it is restored from (a replica poisoned before the bound existed)', () => {
    const clock = new HybridClock({ node: 'a', now: () => NOW, last: POISON });
    const stamp = clock.tick();
    expect(isHlc(stamp) && isWithinDrift(stamp, NOW, DEFAULT_MAX_CLOCK_DRIFT_MS)).toBe(true);
  });

  it('adopts a clock running ahead within the bound, and stamps after it', () => {
    const clock = new HybridClock({ node: 'a', now: () => NOW, maxDriftMs: 60_000 });
    const ahead = formatHlc({ wallMs: NOW + 60_000, counter: 7, node: 'b' });
    expect(clock.observe(ahead)).toBe(true);
    expect(clock.tick() > ahead).toBe(true);
  });

  it('never stamps beyond the bound, even when a million stamps fill its last millisecond', () => {
    const edge = formatHlc({ wallMs: NOW + 1_000, counter: 999_999, node: 'b' });
    const clock = new HybridClock({ node: 'a', now: () => NOW, maxDriftMs: 1_000, last: edge });
    const stamp = clock.tick();
    expect(isWithinDrift(stamp, NOW, 1_000)).toBe(true);
  });

  it('starts again from the wall clock when it was set back by more than the bound', () => {
    let now = NOW;
    const clock = new HybridClock({ node: 'a', now: () => now, maxDriftMs: 1_000 });
    clock.tick();
    now = NOW - 10_000;
    expect(parseHlc(clock.tick())).toEqual({ wallMs: NOW - 10_000, counter: 0, node: 'a' });
  });

  it('never stamps past the 15 digits of the format', () => {
    const max = 999_999_999_999_999;
    const clock = new HybridClock({ node: 'a', now: () => max, last: formatHlc({ wallMs: max, counter: 999_999, node: 'a' }) });
    expect(isHlc(clock.tick())).toBe(true);
  });

  it('refuses a bound that is not a non-negative number', () => {
    expect(() => new HybridClock({ node: 'a', maxDriftMs: Number.NaN })).toThrow(TypeError);
    expect(() => new HybridClock({ node: 'a', maxDriftMs: -1 })).toThrow(TypeError);
  });
});
