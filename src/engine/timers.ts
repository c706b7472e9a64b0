/**
 * Time as the engine, the worker and the client see it: a wall clock and timers, each
 * injectable so tests can fake time without patching globals. Whatever is not given
 * is the global, looked up at each call (so `vi.useFakeTimers()` applies too).
 */

/** What may be injected; every field defaults to the global. */
export interface TimeSource {
  /** Wall clock in ms since the epoch. Default `Date.now`. */
  now?(): number;
  /** Default `globalThis.setTimeout`. */
  setTimeout?(callback: () => void, ms: number): unknown;
  /** Receives what `setTimeout` returned. Default `globalThis.clearTimeout`. */
  clearTimeout?(handle: unknown): void;
}

/** Timer functions, as a loop uses them. */
export interface TimerFunctions {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A complete {@link TimeSource}: clock and timers. */
export interface Timers extends TimerFunctions {
  now(): number;
}

/** `source` with the globals filled in for what it leaves out. */
export function timersOf(source: TimeSource = {}): Timers {
  return {
    now: source.now?.bind(source) ?? (() => Date.now()),
    setTimeout: source.setTimeout?.bind(source) ?? ((callback, ms) => globalThis.setTimeout(callback, ms)),
    clearTimeout:
      source.clearTimeout?.bind(source) ??
      ((handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0])),
  };
}
