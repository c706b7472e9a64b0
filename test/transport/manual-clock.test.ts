import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/testing/manual-clock.ts';

describe('manualClock', () => {
  it('fires timers in order of due time as it advances, and only those due', () => {
    const clock = manualClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    expect(clock.pending()).toEqual([10, 20, 30]);
    clock.advance(25);
    expect(fired).toEqual(['a@1010', 'b@1020']);
    expect(clock.now()).toBe(1_025);
    expect(clock.pending()).toEqual([30]);
  });

  it('fires a timer set by a callback within the same advance when it falls due', () => {
    const clock = manualClock();
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 5);
    clock.advance(10);
    expect(fired).toEqual([10]);
  });

  it('forgets a cleared timer', () => {
    const clock = manualClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(handle);
    clock.advance(10);
    expect({ fired, pending: clock.pending() }).toEqual({ fired: false, pending: [] });
  });
});
