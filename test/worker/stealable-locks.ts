/**
 * An in-process stand-in for `navigator.locks` shared by the "tabs" of one test, each
 * tab seeing it as its own client (`client(id)`): exclusive locks queued per name in
 * arrival order, `ifAvailable`, abort signals and `steal` — as the Web Locks API
 * specifies. A stolen holder's request rejects
 * with AbortError; while its client is frozen (`freeze(id)`) that news waits, as a
 * frozen page's tasks do, and arrives on `wake(id)`.
 */
import type { LockManagerLike, LockRequestOptions } from '../../worker/leader-lock.ts';

interface Holder {
  readonly client: string;
  /** Rejects the holder's request: its lock was stolen. */
  readonly steal: () => void;
}

interface Waiter {
  readonly client: string;
  readonly grant: () => void;
}

/** The shared lock manager; see the module comment. */
export interface StealableLocks {
  /** The lock manager as client `id` (a tab's worker) sees it. */
  client(id: string): LockManagerLike;
  /** The client holding lock `name`, if any. */
  holder(name: string): string | undefined;
  /** The clients waiting for lock `name`, in line order. */
  waiting(name: string): string[];
  /** Holds back the news of a stolen lock for client `id` until {@link StealableLocks.wake}. */
  freeze(id: string): void;
  /** Delivers what client `id` missed while frozen. */
  wake(id: string): void;
}

/** Makes a {@link StealableLocks}. */
export function stealableLocks(): StealableLocks {
  const holders = new Map<string, Holder>();
  const queues = new Map<string, Waiter[]>();
  const frozen = new Map<string, (() => void)[]>();

  const queueOf = (name: string): Waiter[] => {
    let queue = queues.get(name);
    if (queue === undefined) queues.set(name, (queue = []));
    return queue;
  };
  const tell = (client: string, news: () => void): void => {
    const missed = frozen.get(client);
    if (missed === undefined) news();
    else missed.push(news);
  };
  const next = (name: string): void => {
    if (!holders.has(name)) queueOf(name).shift()?.grant();
  };

  function request(client: string, name: string, options: LockRequestOptions, callback: (lock: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const run = (): void => {
        const holder: Holder = {
          client,
          steal: () => tell(client, () => reject(new DOMException("Lock broken by another request with the 'steal' option.", 'AbortError'))),
        };
        holders.set(name, holder);
        void Promise.resolve(callback({ name, mode: 'exclusive' })).then(
          (result) => {
            if (holders.get(name) !== holder) return; // stolen meanwhile: the request was rejected then
            holders.delete(name);
            resolve(result);
            next(name);
          },
          (error: unknown) => {
            if (holders.get(name) === holder) holders.delete(name);
            reject(error);
            next(name);
          },
        );
      };
      if (options.steal === true) {
        holders.get(name)?.steal();
        holders.delete(name);
        run();
        return;
      }
      if (!holders.has(name) && queueOf(name).length === 0) return run();
      if (options.ifAvailable === true) {
        Promise.resolve(callback(null)).then(resolve, reject);
        return;
      }
      const queue = queueOf(name);
      const waiter: Waiter = {
        client,
        grant: () => {
          options.signal?.removeEventListener('abort', onAbort);
          run();
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
  }

  return {
    client: (id) => ({ request: (name, options, callback) => request(id, name, options, callback) }),
    holder: (name) => holders.get(name)?.client,
    waiting: (name) => queueOf(name).map((waiter) => waiter.client),
    freeze: (id) => {
      if (!frozen.has(id)) frozen.set(id, []);
    },
    wake: (id) => {
      const missed = frozen.get(id) ?? [];
      frozen.delete(id);
      for (const news of missed) news();
    },
  };
}
