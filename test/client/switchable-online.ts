/** An online signal a test switches by hand (the worker's `online` option). */
import type { OnlineSignal } from '../../worker/online-signal.ts';

/** Online (or `online`) until `set(false)`; listeners hear each switch. */
export function switchableOnline(online = true): OnlineSignal & { set(online: boolean): void } {
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(value) {
      online = value;
      for (const listener of listeners) listener(value);
    },
  };
}
