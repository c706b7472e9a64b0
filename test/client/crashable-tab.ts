/**
 * What a tab's worker dying looks like to the other tabs, in Node: the browser frees
 * its Web Lock and its BroadcastChannel goes silent, with no goodbye. Give a tab these
 * worker options, then call `crash()`.
 */
import type { LockManagerLike } from '../../worker/leader-lock.ts';
import type { BroadcastChannelLike } from '../../worker/tab-channel.ts';

/** Worker options for one tab that can "crash", and the crash itself. */
export function crashableTab(locks: LockManagerLike): {
  readonly locks: LockManagerLike;
  readonly broadcastChannel: (name: string) => BroadcastChannelLike;
  crash(): void;
} {
  let dead = false;
  let freeLocks = (): void => undefined;
  const crashed = new Promise<void>((resolve) => (freeLocks = resolve));
  return {
    locks: {
      // A held lock is freed at the crash, whatever the worker still thinks; a dead worker gets no lock.
      request: (name, options, callback) =>
        dead
          ? Promise.resolve(callback(null))
          : locks.request(name, options, (lock) => (lock === null ? callback(null) : Promise.race([callback(lock), crashed]))),
    },
    broadcastChannel: (name) => {
      const channel = new BroadcastChannel(name);
      return {
        postMessage: (message) => {
          if (!dead) channel.postMessage(message);
        },
        addEventListener: (type, listener) =>
          channel.addEventListener(type, (event) => {
            if (!dead) listener(event as MessageEvent);
          }),
        close: () => channel.close(),
      };
    },
    crash: () => {
      dead = true;
      freeLocks();
    },
  };
}
