/**
 * An in-process stand-in for `navigator.locks`: requests queue per name in arrival
 * order, `shared` locks are held together and `exclusive` ones alone, a request waits
 * behind any earlier one still queued (so a queued exclusive request holds back later
 * shared ones), `ifAvailable` gets `null` when the lock cannot be granted now, an
 * aborted wait rejects with AbortError, and a holder keeps the lock until the promise
 * its callback returned settles — as the Web Locks API specifies.
 */
import type { LockManagerLike } from '../../worker/leader-lock.ts';

type Mode = 'exclusive' | 'shared';

interface Waiter {
  readonly mode: Mode;
  readonly grant: () => void;
}

/** A lock manager shared by the "tabs" of one test; `held(name)` tells if a lock is taken. */
export function fakeLocks(): LockManagerLike & { held(name: string): boolean; waiting(name: string): number } {
  /** Holders per name: their mode, and how many. */
  const holders = new Map<string, { mode: Mode; count: number }>();
  const queues = new Map<string, Waiter[]>();

  const compatible = (name: string, mode: Mode): boolean => {
    const held = holders.get(name);
    return held === undefined || (held.mode === 'shared' && mode === 'shared');
  };

  function next(name: string): void {
    const queue = queues.get(name) ?? [];
    while (queue.length > 0 && compatible(name, (queue[0] as Waiter).mode)) (queue.shift() as Waiter).grant();
  }

  return {
    held: (name) => holders.has(name),
    waiting: (name) => queues.get(name)?.length ?? 0,
    request(name, options, callback) {
      const mode: Mode = options.mode ?? 'exclusive';
      const run = async (): Promise<unknown> => {
        const held = holders.get(name);
        holders.set(name, { mode, count: (held?.count ?? 0) + 1 });
        try {
          return await callback({ name, mode });
        } finally {
          const now = holders.get(name);
          if (now !== undefined && now.count > 1) holders.set(name, { mode: now.mode, count: now.count - 1 });
          else holders.delete(name);
          next(name);
        }
      };
      if (compatible(name, mode) && (queues.get(name)?.length ?? 0) === 0) return run();
      if (options.ifAvailable === true) return Promise.resolve(callback(null));
      return new Promise((resolve, reject) => {
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        const waiter: Waiter = {
          mode,
          grant: () => {
            options.signal?.removeEventListener('abort', onAbort);
            run().then(resolve, reject);
          },
        };
        const onAbort = (): void => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(new DOMException('The request was aborted', 'AbortError'));
          next(name); // a later request may be grantable now
        };
        if (options.signal?.aborted === true) return onAbort();
        options.signal?.addEventListener('abort', onAbort);
        queue.push(waiter);
      });
    },
  };
}
