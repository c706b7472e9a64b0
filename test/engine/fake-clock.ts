/**
 * Simulated time for engine tests: the clock and timers are faked, fake-indexeddb's
 * setImmediate is left real, and time moves a step at a time with IndexedDB work let
 * run in between.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { settle } from './fixtures.ts';

/** Fakes `setTimeout`, `clearTimeout` and `Date` (from 0) around every test of the enclosing block. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Moves fake time on by `ms`, `stepMs` at a time, letting IndexedDB work run between steps. */
export async function runFor(ms: number, stepMs = 10, turns = 3): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    await settle(turns);
  }
}
