/**
 * Leader election between the tabs of one app, over the Web Locks API: the tab whose
 * worker holds the lock `pulsesync:<name>` runs the sync loop. The browser releases a
 * lock when its holder's worker or tab goes away, crash included, and grants it to the
 * next request in line — that is the hand-over. A holder that is alive but frozen
 * keeps it: then a tab in line takes it with `steal` (see `leader-heartbeat.ts`).
 */

/** How a lock is asked for (`steal` takes it from its holder at once). */
export interface LockRequestOptions {
  ifAvailable?: boolean;
  signal?: AbortSignal;
  steal?: boolean;
  mode?: 'exclusive' | 'shared';
}

/** The part of `navigator.locks` used here (injectable: Node has none). */
export interface LockManagerLike {
  request(name: string, options: LockRequestOptions, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** A lock this worker holds until it calls `release()`, or until another tab steals it. */
export interface HeldLock {
  release(): void;
  /** Called if another tab steals the lock (Web Locks then rejects the request with AbortError). */
  onLost?: () => void;
}

/** The lock name of a replica: one leader per database name per origin. */
export function leaderLockName(name: string): string {
  return `pulsesync:${name}`;
}

/**
 * Requests the lock and resolves once it is held, or with `undefined` when
 * `ifAvailable` found it taken or `signal` aborted the wait.
 */
export function acquireLock(locks: LockManagerLike, name: string, options: LockRequestOptions = {}): Promise<HeldLock | undefined> {
  return new Promise<HeldLock | undefined>((resolve) => {
    let held: HeldLock | undefined;
    locks
      .request(name, options, (lock) => {
        if (lock === null) {
          resolve(undefined);
          return undefined;
        }
        // The lock is held for as long as this promise is pending (resolving it twice is harmless).
        return new Promise<void>((release) => {
          held = { release };
          resolve(held);
        });
      })
      // Before the grant, an aborted wait rejects with AbortError: just no lock. After
      // it, the rejection says another tab stole the lock.
      .catch(() => (held === undefined ? resolve(undefined) : held.onLost?.()));
  });
}

/** The lock managers made by {@link soloLocks}. */
const SOLO = new WeakSet<LockManagerLike>();

/**
 * Used where the Web Locks API is missing (an insecure http: origin, old browsers):
 * every worker leads on its own. Tabs then sync side by side, which the server's
 * idempotent push and the store's cursor check keep correct, only not frugal.
 */
export function soloLocks(): LockManagerLike {
  const locks: LockManagerLike = {
    request: async (_name, _options, callback) => callback({}),
  };
  SOLO.add(locks);
  return locks;
}

/** Is this {@link soloLocks}? Then a lock says nothing about whether another tab leads. */
export function isSoloLocks(locks: LockManagerLike): boolean {
  return SOLO.has(locks);
}

/** `navigator.locks` when present, else {@link soloLocks}. */
export function defaultLocks(): LockManagerLike {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  return locks ?? soloLocks();
}
