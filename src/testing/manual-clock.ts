/**
 * A clock and timers that move only when a test says so: inject it where a transport
 * (or the engine) takes `timers` and `now`, then `advance()` instead of sleeping.
 * Unlike `vi.useFakeTimers()` it patches no global, so real I/O (a socket, IndexedDB)
 * keeps running on real time beside it.
 */
import type { TransportTimers } from '../transport/timers.ts';

/** A {@link TransportTimers} on a virtual clock. */
export interface ManualClock extends TransportTimers {
  /** Virtual milliseconds: the start plus every `advance()`. */
  now(): number;
  /** Delays of the timers set and neither fired nor cleared, in the order they fire. */
  pending(): number[];
  /**
   * Moves the clock `ms` forward, firing every timer that falls due on the way, in
   * order of due time (then of setting). A timer set by a callback fires in the same
   * call if it falls due within the span.
   */
  advance(ms: number): void;
}

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly delay: number;
  readonly callback: () => void;
}

/** A manual clock starting at `start` (virtual ms). */
export function manualClock(start = 0): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const ordered = (): Timer[] => [...timers.values()].sort((a, b) => a.due - b.due || a.id - b.id);
  return {
    now: () => now,
    pending: () => ordered().map((t) => t.delay),
    setTimeout(callback, ms) {
      const id = nextId++;
      const delay = Math.max(0, Number.isFinite(ms) ? ms : 0);
      timers.set(id, { id, due: now + delay, delay, callback });
      return id;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') timers.delete(handle);
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`manualClock.advance: ms must be >= 0, got ${ms}`);
      const end = now + ms;
      for (;;) {
        const next = ordered()[0];
        if (next === undefined || next.due > end) break;
        timers.delete(next.id);
        now = next.due;
        next.callback();
      }
      now = end;
    },
  };
}
