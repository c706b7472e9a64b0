/**
 * The timer functions the server uses (live-stream heartbeats, the Node server's drain,
 * the Postgres LISTEN reconnect), injected so tests can drive time without patching
 * globals. Everything that takes a `timers` option defaults to {@link globalTimers}.
 */

/** Timer functions; a handle is whatever the matching `set…` returned. */
export interface ServerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

type Handle = ReturnType<typeof setTimeout>;

/** The runtime's own timers, looked up at each call (so `vi.useFakeTimers()` applies too). */
export const globalTimers: ServerTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Handle),
  setInterval: (callback, ms) => globalThis.setInterval(callback, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as Handle),
};

/**
 * Lets the process exit while `handle` is pending, where the runtime can (Node's
 * `unref`); a no-op for handles that cannot, such as a test's fake ones.
 */
export function unrefTimer(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && 'unref' in handle && typeof handle.unref === 'function') handle.unref();
}
