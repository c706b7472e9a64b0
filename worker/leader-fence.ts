/**
 * The fence around a leader's manager: its store and its transport, each call of which
 * first asks the term whether it may still lead (its beats are on time). A leader that
 * wakes from a freeze after another tab stole the lock thus sends and writes nothing,
 * even before it hears that the lock is gone (see `leader-term.ts`).
 */
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';

/** Wraps a manager's store or transport so that the term can refuse its calls. */
export type Fence = <T extends object>(target: T) => T;

/**
 * `target` (a store or a transport) whose every promise-returning method first awaits
 * `allowed()`, failing `SHUTDOWN` without reaching `target` if it says no.
 */
export function fenced<T extends object>(target: T, allowed: () => boolean | Promise<boolean>): T {
  return new Proxy(target, {
    get(inner, key) {
      const value: unknown = Reflect.get(inner, key);
      if (typeof value !== 'function') return value;
      // These hand back an unsubscribe at once; what they start comes back through the fenced calls.
      if (key === 'subscribe' || key === 'live') return value.bind(inner);
      return async (...args: unknown[]) => {
        if (!(await allowed())) {
          throw new SyncError(ErrorCode.SHUTDOWN, 'Another tab leads sync now');
        }
        return value.apply(inner, args);
      };
    },
  });
}
