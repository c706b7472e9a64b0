/**
 * The timers a transport waits with, injected so tests can move time instead of
 * sleeping. The same shape as the engine's timer functions, so one fake serves both.
 */

/** `setTimeout` / `clearTimeout`, as a transport uses them. */
export interface TransportTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  /** Receives what `setTimeout` returned. */
  clearTimeout(handle: unknown): void;
}

/**
 * The global timers, looked up at each call rather than captured, so timers faked
 * after a transport was made (`vi.useFakeTimers()`) still apply.
 */
export const globalTimers: TransportTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};
