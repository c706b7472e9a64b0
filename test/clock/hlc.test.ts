import { describe, expect, it } from 'vitest';
import { compareHlc, HybridClock, parseHlc } from '../../src/clock/hlc.ts';

describe('hybrid logical clock', () => {
  it('stays monotonic when the wall clock jumps back', () => {
    let now = 10_000;
    const clock = new HybridClock({ node: 'a', now: () => now });
    const first = clock.tick();
    now = 5_000;
    const second = clock.tick();
    const third = clock.tick();
    expect(compareHlc(first, second)).toBeLessThan(0);
    expect(compareHlc(second, third)).toBeLessThan(0);
  });

  it('orders a local event after a remote one from a clock that runs ahead', () => {
    const ahead = new HybridClock({ node: 'b', now: () => 99_000 });
    const behind = new HybridClock({ node: 'a', now: () => 1_000 });
    const remote = ahead.tick();
    behind.observe(remote);
    expect(compareHlc(behind.tick(), remote)).toBeGreaterThan(0);
  });

  it('breaks ties between equal times by node', () => {
    const a = new HybridClock({ node: 'a', now: () => 1 }).tick();
    const b = new HybridClock({ node: 'b', now: () => 1 }).tick();
    expect(compareHlc(a, b)).toBeLessThan(0);
  });

  it('resumes after a restart from the last stamp it stored', () => {
    const before = new HybridClock({ node: 'a', now: () => 50_000 });
    const stamp = before.tick();
    const after = new HybridClock({ node: 'a', now: () => 1_000, last: stamp });
    expect(compareHlc(after.tick(), stamp)).toBeGreaterThan(0);
  });

  it('round-trips through its string form', () => {
    const stamp = new HybridClock({ node: 'n1', now: () => 1_234 }).tick();
    expect(parseHlc(stamp)).toEqual({ wallMs: 1_234, counter: 0, node: 'n1' });
  });

  it('carries into the next millisecond when the counter is full', () => {
    const clock = new HybridClock({ node: 'a', now: () => 7, last: '000000000000007:999999:a' });
    expect(parseHlc(clock.tick())).toEqual({ wallMs: 8, counter: 0, node: 'a' });
  });
});
