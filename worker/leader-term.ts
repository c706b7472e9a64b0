/**
 * One tab's part in leader election: waiting in line for the leader lock, leading (a
 * term: the lock and the `SyncManager` that runs the loop), resigning, and — when it
 * neither leads nor waits — watching the lock to learn when no tab leads any more.
 *
 * ```
 *   connected ──join()──► waiting in line ──lock granted──► leading (a term)
 *       ▲                                                       │
 *       └──── leave() / close() / a final refusal: lock freed ◄─┘
 * ```
 *
 * Retrying belongs to the manager (its connect loop); a term ends only when the app
 * stops, the tab closes, or the manager stops for good (a refusal, the database gone).
 */
import type { SyncManager } from '../src/engine/sync-manager.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../src/protocol/errors.ts';
import type { SyncStatus } from '../src/protocol/types.ts';
import { acquireLock, isSoloLocks, type HeldLock, type LockManagerLike } from './leader-lock.ts';

/** What a term tells the rest of the worker. */
export interface LeaderTermHooks {
  /** A manager for a new term, its events wired to the tabs. */
  newManager(): SyncManager;
  /** This tab leads now; its manager has just been started. */
  onLead(manager: SyncManager): void;
  /** The term ended; `last` is its manager's last status. */
  onResign(last: SyncStatus): void;
  /** Sync stopped for good in this tab: the server refused, or the database is gone. */
  onFinalFailure(failure: SyncErrorData): void;
  /** The lock was free: no tab leads any more. */
  onLeaderGone(): void;
  /** A failure with nobody to throw to (a tab taking over). */
  onError(error: SyncErrorData): void;
}

interface Term {
  readonly lock: HeldLock;
  readonly manager: SyncManager;
  readonly off: readonly (() => void)[];
  /** Set once the term is being given up: everyone who asks waits for the same end. */
  ending?: Promise<void>;
}

/** One tab's leader election; see the file comment. */
export class LeaderTerms {
  readonly #locks: LockManagerLike;
  readonly #lockName: string;
  readonly #hooks: LeaderTermHooks;
  /** The app called join() (start) and not leave() (stop). */
  #wanted = false;
  /** Cancels our wait in line for the lock. */
  #queue: AbortController | undefined;
  /** Cancels our watch of the lock (see {@link LeaderTerms.watch}). */
  #watch: AbortController | undefined;
  #term: Term | undefined;

  constructor(locks: LockManagerLike, lockName: string, hooks: LeaderTermHooks) {
    this.#locks = locks;
    this.#lockName = lockName;
    this.#hooks = hooks;
  }

  /** Does the app want sync in this tab (between start() and stop())? */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** This tab's manager while it leads. */
  get manager(): SyncManager | undefined {
    return this.#term?.manager;
  }

  /**
   * Joins the sync. If no tab leads, this one leads at once and resolves after its
   * manager's first handshake attempt, rejecting only on a final refusal. Otherwise it
   * waits in line for the lock and resolves at once.
   */
  async join(): Promise<void> {
    this.#wanted = true;
    this.#unwatch(); // from now on this tab waits in line, or leads
    const lock = await acquireLock(this.#locks, this.#lockName, { ifAvailable: true });
    if (lock !== undefined) {
      await this.#lead(lock, { reportFinal: true });
      return;
    }
    const queue = new AbortController();
    this.#queue = queue;
    void acquireLock(this.#locks, this.#lockName, { signal: queue.signal }).then(async (granted) => {
      if (granted === undefined) return;
      if (this.#queue === queue) this.#queue = undefined;
      try {
        await this.#lead(granted, { reportFinal: false });
      } catch (error) {
        this.#hooks.onError(SyncError.from(error).toJSON());
      }
    });
  }

  /** Leaves the sync: a leading tab stops its manager and hands the lock on. */
  async leave(): Promise<void> {
    this.#wanted = false;
    await this.#resign();
    this.watch(); // another tab may lead now, or nobody
  }

  /** The tab closes: leave, and watch no more. */
  async close(): Promise<void> {
    this.#wanted = false;
    this.#unwatch();
    await this.#resign();
  }

  /**
   * A tab that neither leads nor waits in line watches the leader's lock by queueing for
   * it: the lock comes here only once no tab holds it (the leader stopped, closed or
   * crashed — the browser frees a dead worker's locks — and no follower took over). It
   * passes the lock straight on and tells `onLeaderGone`. A tab that waits to lead needs
   * no watch: the lock then makes it the leader. Watching starts again when a leader speaks.
   */
  watch(): void {
    if (this.#term !== undefined || this.#queue !== undefined || this.#watch !== undefined) return;
    if (isSoloLocks(this.#locks)) return; // every tab leads alone: nothing to watch
    const watch = new AbortController();
    this.#watch = watch;
    void acquireLock(this.#locks, this.#lockName, { signal: watch.signal }).then((lock) => {
      lock?.release(); // never ours to keep: the next tab in line gets it at once
      if (lock === undefined || this.#watch !== watch) return;
      this.#watch = undefined;
      if (this.#term === undefined) this.#hooks.onLeaderGone();
    });
  }

  #unwatch(): void {
    this.#watch?.abort();
    this.#watch = undefined;
  }

  async #lead(lock: HeldLock, options: { reportFinal: boolean }): Promise<void> {
    if (!this.#wanted || this.#term !== undefined) {
      lock.release();
      return;
    }
    const manager = this.#hooks.newManager();
    const off = [
      // The manager stopped by itself (a final refusal on a later handshake): not by us,
      // since every way we stop it stops wanting sync first.
      manager.on('status', (status) => {
        if (!status.running && status.error !== undefined && this.#wanted) void this.#giveUp(term, status.error);
      }),
      // Our database connection is gone for good (another tab upgrades or deletes it):
      // a leader that cannot write must let a tab that can take over.
      manager.on('error', (error) => {
        if (error.code === ErrorCode.DATABASE_CLOSED) void this.#giveUp(term, error);
      }),
    ];
    const term: Term = { lock, manager, off };
    this.#term = term;
    const started = manager.start(); // running from here on, whatever its first attempt says
    this.#hooks.onLead(manager);
    try {
      await started;
    } catch (error) {
      // Stopped by us meanwhile (SHUTDOWN): every way we stop a manager stops wanting sync first.
      if (!this.#wanted && term.ending === undefined) return;
      await this.#giveUp(term, SyncError.from(error).toJSON());
      // A tab taking over cannot throw to anyone: status and the error event say why.
      if (options.reportFinal) throw error;
    }
  }

  /** Stops wanting sync and frees the lock, so this tab never sits on it with a manager that will not run. */
  #giveUp(term: Term, failure: SyncErrorData): Promise<void> {
    if (term.ending !== undefined) return term.ending;
    if (this.#term !== term) return Promise.resolve();
    this.#wanted = false;
    term.ending = this.#resign()
      .catch(() => undefined) // the manager's stop failed: it is stopped all the same
      .finally(() => this.#hooks.onFinalFailure(failure));
    return term.ending;
  }

  /** Stops leading (if this tab leads) and leaves the line for the lock. */
  async #resign(): Promise<void> {
    this.#queue?.abort();
    this.#queue = undefined;
    const term = this.#term;
    if (term === undefined) return;
    try {
      await term.manager.stop();
    } finally {
      for (const off of term.off) off();
      if (this.#term === term) {
        this.#term = undefined;
        this.#hooks.onResign(term.manager.status());
      }
      term.lock.release();
    }
  }
}
