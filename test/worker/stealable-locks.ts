/**
 * An in-process stand-in for `navigator.locks` shared by the "tabs" of one test, each
 * tab seeing it as its own client (`client(id)`): requests queued per name in arrival
 * order, `shared` locks held together and `exclusive` ones alone (a queued request holds
 * back later ones), `ifAvailable`, abort signals and `steal` — as the Web Locks API
 * specifies. A stolen holder's request rejects with AbortError; while its client is
 * frozen (`freeze(id)`) that news waits, as a frozen page's tasks do, and arrives on
 * `wake(id)`. Shared mode matters because every connected tab holds its replica's
 * presence lock shared (`worker/replica-life.ts`).
 */
import type { LockManagerLike, LockRequestOptions } from '../../worker/leader-lock.ts';

type Mode = 'exclusive' | 'shared';

interface Holder {
  readonly client: string;
  readonly mode: Mode;
  /** Rejects the holder's request: its lock was stolen. */
  readonly steal: () => void;
}

interface Waiter {
  readonly client: string;
  readonly mode: Mode;
  readonly grant: () => void;
}

/** The shared lock manager; see the module comment. */
export interface StealableLocks {
  /** The lock manager as client `id` (a tab's worker) sees it. */
  client(id: string): LockManagerLike;
  /** The client holding lock `name` (the first, if shared), if any. */
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
  /** The holders of each lock: one exclusive, or any number shared. */
  const holders = new Map<string, Holder[]>();
  const queues = new Map<string, Waiter[]>();
  const frozen = new Map<string, (() => void)[]>();

  const queueOf = (name: string): Waiter[] => {
    let queue = queues.get(name);
    if (queue === undefined) queues.set(name, (queue = []));
    return queue;
  };
  const holdersOf = (name: string): Holder[] => holders.get(name) ?? [];
  const compatible = (name: string, mode: Mode): boolean => {
    const held = holdersOf(name);
    return held.length === 0 || (mode === 'shared' && held.every((h) => h.mode === 'shared'));
  };
  /** Lets go of `holder`; false if it held nothing (stolen meanwhile). */
  const release = (name: string, holder: Holder): boolean => {
    const held = holdersOf(name);
    const at = held.indexOf(holder);
    if (at < 0) return false;
    held.splice(at, 1);
    if (held.length === 0) holders.delete(name);
    return true;
  };
  const tell = (client: string, news: () => void): void => {
    const missed = frozen.get(client);
    if (missed === undefined) news();
    else missed.push(news);
  };
  const next = (name: string): void => {
    const queue = queueOf(name);
    while (queue.length > 0 && compatible(name, (queue[0] as Waiter).mode)) (queue.shift() as Waiter).grant();
  };

  function request(client: string, name: string, options: LockRequestOptions, callback: (lock: unknown) => unknown): Promise<unknown> {
    const mode: Mode = options.mode ?? 'exclusive';
    return new Promise((resolve, reject) => {
      const run = (): void => {
        const holder: Holder = {
          client,
          mode,
          steal: () => tell(client, () => reject(new DOMException("Lock broken by another request with the 'steal' option.", 'AbortError'))),
        };
        holders.set(name, [...holdersOf(name), holder]);
        void Promise.resolve(callback({ name, mode })).then(
          (result) => {
            if (!release(name, holder)) return; // stolen meanwhile: the request was rejected then
            resolve(result);
            next(name);
          },
          (error: unknown) => {
            release(name, holder);
            reject(error);
            next(name);
          },
        );
      };
      if (options.steal === true) {
        for (const holder of holdersOf(name)) holder.steal();
        holders.delete(name);
        run();
        return;
      }
      if (compatible(name, mode) && queueOf(name).length === 0) return run();
      if (options.ifAvailable === true) {
        Promise.resolve(callback(null)).then(resolve, reject);
        return;
      }
      const queue = queueOf(name);
      const waiter: Waiter = {
        client,
        mode,
        grant: () => {
          options.signal?.removeEventListener('abort', onAbort);
          run();
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
  }

  return {
    client: (id) => ({ request: (name, options, callback) => request(id, name, options, callback) }),
    holder: (name) => holdersOf(name)[0]?.client,
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
