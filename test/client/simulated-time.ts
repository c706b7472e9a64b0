/**
 * Simulated time for a worker's `time` option: a clock that stands still until the
 * test moves it, and timers that fire when it passes them, in order. Between steps the
 * real event loop turns (fake-indexeddb and the MessagePorts between tabs run on it),
 * so a test can let a minute of a worker's life go by in a blink, without faking the
 * globals the rest of the test (waitFor) runs on.
 */
import type { TimeSource } from '../../src/engine/timers.ts';

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/** A simulated clock and its timers; `advance(ms)` moves it. */
export function simulatedTime(start = 1_700_000_000_000): Required<TimeSource> & {
  advance(ms: number, stepMs?: number): Promise<void>;
} {
  let now = start;
  let order = 0;
  const timers = new Set<Timer>();
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const timer = { at: now + Math.max(0, ms), order: order++, callback };
      timers.add(timer);
      return timer;
    },
    clearTimeout(handle) {
      timers.delete(handle as Timer);
    },
    async advance(ms, stepMs = 100) {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + stepMs);
        for (;;) {
          const due = [...timers].filter((t) => t.at <= now).sort((a, b) => a.at - b.at || a.order - b.order)[0];
          if (due === undefined) break;
          timers.delete(due);
          due.callback();
          await turns(5);
        }
        await turns(10);
      }
    },
  };
}
