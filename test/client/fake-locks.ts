/**
 * An in-process stand-in for `navigator.locks` (exclusive locks only): requests queue
 * per name in arrival order, `ifAvailable` gets `null` when the lock is taken, an
 * aborted wait rejects with AbortError, and a holder keeps the lock until the
 * promise its callback returned settles — as the Web Locks API specifies.
 */
import type { LockManagerLike } from '../../worker/leader-lock.ts';

interface Waiter {
  readonly grant: () => void;
}

/** A lock manager shared by the "tabs" of one test; `held(name)` tells if a lock is taken. */
export function fakeLocks(): LockManagerLike & { held(name: string): boolean; waiting(name: string): number } {
  const holders = new Set<string>();
  const queues = new Map<string, Waiter[]>();

  function next(name: string): void {
    const waiter = queues.get(name)?.shift();
    if (waiter !== undefined) waiter.grant();
  }

  return {
    held: (name) => holders.has(name),
    waiting: (name) => queues.get(name)?.length ?? 0,
    request(name, options, callback) {
      const run = async (): Promise<unknown> => {
        holders.add(name);
        try {
          return await callback({ name, mode: 'exclusive' });
        } finally {
          holders.delete(name);
          next(name);
        }
      };
      if (!holders.has(name) && (queues.get(name)?.length ?? 0) === 0) return run();
      if (options.ifAvailable === true) return Promise.resolve(callback(null));
      return new Promise((resolve, reject) => {
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        const waiter: Waiter = {
          grant: () => {
            options.signal?.removeEventListener('abort', onAbort);
            run().then(resolve, reject);
          },
        };
        const onAbort = (): void => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(new DOMException('The request was aborted', 'AbortError'));
        };
        if (options.signal?.aborted === true) return onAbort();
        options.signal?.addEventListener('abort', onAbort);
        queue.push(waiter);
      });
    },
  };
}
