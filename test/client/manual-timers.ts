/**
 * Timers a test fires by hand (a `TimeSource` for the worker's and the client's `time`
 * option): nothing runs until `fire(ms)` runs the timers set for `ms`.
 */
import type { TimeSource } from '../../src/engine/timers.ts';

interface Timer {
  readonly ms: number;
  readonly callback: () => void;
}

/** Hand-fired timers; `set(ms)` says whether a timer of `ms` is waiting. */
export function manualTimers(): Required<Pick<TimeSource, 'setTimeout' | 'clearTimeout'>> & {
  set(ms: number): boolean;
  fire(ms: number): void;
} {
  const timers = new Set<Timer>();
  return {
    setTimeout(callback, ms) {
      const timer = { ms, callback };
      timers.add(timer);
      return timer;
    },
    clearTimeout(handle) {
      timers.delete(handle as Timer);
    },
    set: (ms) => [...timers].some((timer) => timer.ms === ms),
    fire(ms) {
      for (const timer of [...timers]) {
        if (timer.ms !== ms) continue;
        timers.delete(timer);
        timer.callback();
      }
    },
  };
}
