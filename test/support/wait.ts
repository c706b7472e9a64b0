/**
 * Bounded waits for conditions (never a timed assertion): poll until a condition holds,
 * fail with what was awaited and the last value seen once the time is up.
 */

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Longest wait. Default 20 s. */
  readonly timeoutMs?: number;
  /** Pause between checks. Default 50 ms. */
  readonly everyMs?: number;
}

/**
 * Calls `probe` until `done(value)` holds; returns that value. Throws after the timeout
 * with `what` and the last value (JSON), so a failure says where it stood.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const everyMs = options.everyMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (let round = 0; round < 1_000_000; round++) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`waited ${timeoutMs} ms for ${what}; last seen: ${shown(last)}`);
}

/** The last value as JSON; a Map or Set as its size and entries (JSON would print `{}`). */
function shown(value: unknown): string {
  const text =
    value instanceof Map
      ? `Map(${value.size}) ${JSON.stringify([...value.keys()])}`
      : value instanceof Set
        ? `Set(${value.size}) ${JSON.stringify([...value])}`
        : JSON.stringify(value);
  return text?.slice(0, 600) ?? String(value);
}
