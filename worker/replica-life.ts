/**
 * The life of one tab's replica connection, and clearing a replica's local data with
 * every open tab of it (issue 12, item 3), so that no tab is left holding a deleted
 * database (`DATABASE_CLOSED`).
 *
 * Every connected tab holds the replica's presence lock in `shared` mode while its
 * connection is open. The tab that clears:
 *
 * ```
 *   queue for the presence lock, exclusive ─► let go of its own shared hold
 *   ─► tell the tabs "clear" (again each second, for a tab still connecting)
 *   ─► lock granted: no other tab has the database open; check pending (PENDING_WRITES unless
 *      discardPending) ─► close, delete the database ─► release, hold shared again ─► reopen (empty)
 * ```
 *
 * A tab told "clear" stops syncing, closes its connection, lets go of its shared hold
 * and at once queues for it again: the clearer's exclusive request is ahead in line,
 * so it gets the lock back only once the clearer is done (or gave up), then reopens. A
 * tab opening meanwhile waits the same way. The pending check runs while no other
 * connection is open, so no write of another tab can slip in between check and delete.
 * A tab that does not let go in time (a frozen tab) fails the clear `DATABASE_BLOCKED`
 * and every tab reopens the database as it was. Where Web Locks are missing
 * (`soloLocks`), the lock says nothing: a tab told "clear" waits `clearTimeoutMs`
 * before it reopens (it cannot hear the clearer finish), best effort.
 *
 * While its session is replaced, a tab's calls wait at a gate instead of failing; after
 * a clear every tab reopens, syncs again if it did, and its page gets a `reset` event.
 */
import type { Timers } from '../src/engine/timers.ts';
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import type { InstanceId } from '../src/protocol/types.ts';
import { toSyncError } from '../src/store/idb-errors.ts';
import type { ClearLocalDataOptions } from '../src/worker-api/sync-worker-api.ts';
import { acquireLock, isSoloLocks, type HeldLock, type LockManagerLike } from './leader-lock.ts';
import type { Session } from './session.ts';

/** Default of `SyncWorkerOptions.clearTimeoutMs`. */
export const DEFAULT_CLEAR_TIMEOUT_MS = 10_000;

/** How the worker's session is reached, ended and opened anew. */
export interface SessionHost {
  current(): Session | undefined;
  /** Ends the current session, if any. */
  close(): Promise<void>;
  /** Ends the current session and opens another; joins the sync when `wanted`; tells `reset` if the replica is not `before` any more. */
  reopen(wanted: boolean, before: InstanceId | undefined): Promise<void>;
}

/** Where the replica lives and how long a clear waits for the other tabs. */
export interface ReplicaLifeOptions {
  readonly locks: LockManagerLike;
  readonly name: string;
  readonly factory: IDBFactory;
  readonly timers: Timers;
  readonly timeoutMs: number;
  readonly tabId: string;
}

/** One tab's replica life; see the file comment. */
export class ReplicaLife {
  readonly #options: ReplicaLifeOptions;
  readonly #host: SessionHost;
  readonly #lockName: string;
  #held: HeldLock | undefined;
  /** Settles once the session replaced now is in place; calls wait on it. */
  #gate: Promise<void> | undefined;

  constructor(options: ReplicaLifeOptions, host: SessionHost) {
    this.#options = options;
    this.#host = host;
    this.#lockName = `pulsesync-replica:${options.name}`;
  }

  /** Holds the presence lock, shared (waits while another tab clears). */
  async enter(): Promise<void> {
    this.#held ??= await acquireLock(this.#options.locks, this.#lockName, { mode: 'shared' });
  }

  /** Lets go of the presence lock. */
  leave(): void {
    this.#held?.release();
    this.#held = undefined;
  }

  /** Resolves when no session is being replaced. */
  async ready(): Promise<void> {
    while (this.#gate !== undefined) await this.#gate;
  }

  /**
   * Clears the replica's local data with every tab. Refuses `PENDING_WRITES` at once,
   * before disturbing any tab, and again once no other tab has the database open (a
   * write may have come in between); `DATABASE_BLOCKED` if a tab does not let go in time.
   */
  async clear(options: ClearLocalDataOptions = {}): Promise<void> {
    const discard = options.discardPending === true;
    await this.#refuseIfPending(discard);
    const { locks, name, factory, timers, timeoutMs, tabId } = this.#options;
    await this.#replace(async () => {
      const giveUp = new AbortController();
      const timer = timers.setTimeout(() => giveUp.abort(), timeoutMs);
      // Queued before letting go of our own hold, so that no tab gets ahead of it.
      const granted = acquireLock(locks, this.#lockName, { mode: 'exclusive', signal: giveUp.signal });
      this.leave();
      let lock: HeldLock | undefined | null = null;
      const announce = (): void => {
        if (lock !== null) return;
        this.#host.current()?.connection.post({ kind: 'clear', from: tabId });
        timers.setTimeout(announce, 1_000);
      };
      announce();
      lock = await granted;
      timers.clearTimeout(timer);
      try {
        if (lock === undefined) {
          throw new SyncError(
            ErrorCode.DATABASE_BLOCKED,
            `clearLocalData(): another tab held "${name}" ${timeoutMs} ms (frozen?); nothing deleted: close or reload the other tabs, retry`,
            { details: { database: name, timeoutMs } },
          );
        }
        await this.#refuseIfPending(discard);
        await this.#host.close();
        await new Promise<void>((resolve, reject) => {
          const request = factory.deleteDatabase(name);
          request.onsuccess = () => resolve();
          request.onerror = () => reject(toSyncError(request.error, `deleting "${name}"`));
        });
      } finally {
        lock?.release();
      }
    });
  }

  /** Another tab clears: let go, come back once it is done (told by `reset` if the replica changed). */
  yieldToClear(): void {
    if (this.#gate !== undefined) return; // already yielding (the clearer says it again each second), or clearing
    const { locks, timers, timeoutMs } = this.#options;
    this.#replace(async () => {
      await this.#host.close();
      this.leave();
      // Without Web Locks nothing says when the clearer is done: give it its time.
      if (isSoloLocks(locks)) await new Promise<void>((resolve) => timers.setTimeout(resolve, timeoutMs));
    }).catch(() => undefined); // a failed reopen: calls fail SHUTDOWN (no session), the page hears it then
  }

  /** Fails `PENDING_WRITES` if writes wait (unless `discard`). */
  async #refuseIfPending(discard: boolean): Promise<void> {
    const pending = this.#host.current()?.connection.pending;
    await pending?.refresh();
    const count = pending?.value ?? 0;
    if (count > 0 && !discard) {
      throw new SyncError(
        ErrorCode.PENDING_WRITES,
        `clearLocalData(): ${count} unpushed write(s) would be lost; sync first, or pass { discardPending: true }`,
        { details: { pending: count } },
      );
    }
  }

  /** Runs `between` behind the gate, then holds the presence lock again and reopens whatever happened. */
  async #replace(between: () => Promise<void>): Promise<void> {
    await this.ready();
    const session = this.#host.current();
    const before = session?.connection.replica.instanceId;
    const wanted = session?.terms.wanted === true;
    const running = (async () => {
      try {
        await between();
      } finally {
        await this.enter();
        await this.#host.reopen(wanted, before);
      }
    })();
    const gate = running.then(
      () => undefined,
      () => undefined,
    );
    this.#gate = gate;
    try {
      await running;
    } finally {
      if (this.#gate === gate) this.#gate = undefined;
    }
  }
}
