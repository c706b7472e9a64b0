/**
 * Clearing a replica's local data with every open tab of it (issue 12, item 3), so no
 * tab is left holding a deleted database (`DATABASE_CLOSED`).
 *
 * Every connected tab holds the replica's presence lock in `shared` mode while its
 * connection is open. The tab that clears:
 *
 * ```
 *   stop syncing here ─► queue for the presence lock, exclusive ─► let go of its own shared hold
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
 * and every tab reopens the database as it was.
 *
 * Where Web Locks are missing (`soloLocks`), the lock says nothing: a tab told "clear"
 * waits `clearTimeoutMs` before it reopens (its channel is closed with its connection,
 * so it cannot hear the clearer finish), best effort.
 */
import type { Timers } from '../src/engine/timers.ts';
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import { toSyncError } from '../src/store/idb-errors.ts';
import { acquireLock, isSoloLocks, type HeldLock, type LockManagerLike } from './leader-lock.ts';

/** Default of `SyncWorkerOptions.clearTimeoutMs`. */
export const DEFAULT_CLEAR_TIMEOUT_MS = 10_000;

/** How often the clearer tells the tabs again, for one that was still connecting. */
const ANNOUNCE_EVERY_MS = 1_000;

/** The presence lock of a replica: held shared by every tab with it open. */
export function presenceLockName(name: string): string {
  return `pulsesync-replica:${name}`;
}

/** Deletes database `name`; waits while other connections close (they do on `versionchange`). */
export function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(toSyncError(request.error, `deleting "${name}"`));
  });
}

/** The refusal of a clear that would lose `pending` writes. */
export function pendingWritesError(pending: number): SyncError {
  return new SyncError(
    ErrorCode.PENDING_WRITES,
    `clearLocalData(): ${pending} local write${pending === 1 ? ' is' : 's are'} not pushed yet and would be lost. Sync first (syncOnce(), or wait for pending to reach 0), or pass { discardPending: true } to drop them.`,
    { details: { pending } },
  );
}

/** What the clearing tab does at each step (its worker's session). */
export interface ClearSteps {
  readonly discardPending: boolean;
  /** Tells the other tabs to let go (may be called several times). */
  announce(): void;
  /** Writes waiting in the replica (read with this tab's connection, still open). */
  pendingCount(): Promise<number>;
  /** Closes this tab's connection. */
  close(): Promise<void>;
  /** Opens the replica again (empty after a delete) and carries on; told whether it was deleted. */
  reopen(cleared: boolean): Promise<void>;
}

/** What a tab told to let go does. */
export interface YieldSteps {
  close(): Promise<void>;
  reopen(): Promise<void>;
}

/** One tab's presence in a replica, and its part in clearing it; see the file comment. */
export class ReplicaPresence {
  readonly #locks: LockManagerLike;
  readonly #lockName: string;
  readonly #factory: IDBFactory;
  readonly #databaseName: string;
  readonly #timers: Timers;
  readonly #timeoutMs: number;
  #held: HeldLock | undefined;

  constructor(options: { locks: LockManagerLike; name: string; factory: IDBFactory; timers: Timers; timeoutMs: number }) {
    this.#locks = options.locks;
    this.#lockName = presenceLockName(options.name);
    this.#databaseName = options.name;
    this.#factory = options.factory;
    this.#timers = options.timers;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Holds the presence lock, shared; waits while another tab clears. */
  async enter(): Promise<void> {
    if (this.#held !== undefined) return;
    this.#held = await acquireLock(this.#locks, this.#lockName, { mode: 'shared' });
  }

  /** Lets go of the presence lock. */
  leave(): void {
    this.#held?.release();
    this.#held = undefined;
  }

  /** The clearing tab's part; see the file comment. Rejects `PENDING_WRITES` or `DATABASE_BLOCKED`. */
  async clear(steps: ClearSteps): Promise<void> {
    const giveUp = new AbortController();
    const timer = this.#timers.setTimeout(() => giveUp.abort(), this.#timeoutMs);
    // Queued before letting go of our own hold, so that no tab gets ahead of it.
    const granted = acquireLock(this.#locks, this.#lockName, { mode: 'exclusive', signal: giveUp.signal });
    this.leave();
    let announcing = true;
    const announce = (): void => {
      if (!announcing) return;
      steps.announce();
      this.#timers.setTimeout(announce, ANNOUNCE_EVERY_MS);
    };
    announce();
    const lock = await granted;
    announcing = false;
    this.#timers.clearTimeout(timer);
    let cleared = false;
    try {
      if (lock === undefined) {
        throw new SyncError(
          ErrorCode.DATABASE_BLOCKED,
          `clearLocalData(): another tab of this app did not let go of the local database "${this.#databaseName}" within ${this.#timeoutMs} ms (frozen in the background?). Nothing was deleted; close or reload the other tabs and try again.`,
          { details: { database: this.#databaseName, timeoutMs: this.#timeoutMs } },
        );
      }
      const pending = await steps.pendingCount();
      if (pending > 0 && !steps.discardPending) throw pendingWritesError(pending);
      await steps.close();
      await deleteDatabase(this.#factory, this.#databaseName);
      cleared = true;
    } finally {
      // Whatever happened, this tab carries on with the replica (a new one, or the same).
      lock?.release();
      await this.enter();
      await steps.reopen(cleared);
    }
  }

  /** A tab told "clear" lets go and comes back once the clearer is done; see the file comment. */
  async yieldTo(steps: YieldSteps): Promise<void> {
    await steps.close();
    this.leave();
    // Without Web Locks nothing says when the clearer is done: give it its time.
    if (isSoloLocks(this.#locks)) await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, this.#timeoutMs));
    await this.enter();
    await steps.reopen();
  }
}
