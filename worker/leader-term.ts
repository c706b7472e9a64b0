/**
 * One tab's part in leader election: waiting in line for the leader lock, leading (a
 * term: the lock and the `SyncManager` that runs the loop), resigning, and — when it
 * neither leads nor waits — watching the lock to learn when no tab leads any more.
 *
 * ```
 *   connected ──join()──► waiting in line ──lock granted, or stolen from a silent leader──► leading (a term)
 *       ▲                        ▲                                                            │
 *       │                        └─── lock stolen, or own beat late by the bound: back in line ◄┤
 *       └──────────────── leave() / close() / a final refusal: lock freed ◄───────────────────┘
 * ```
 *
 * Retrying belongs to the manager (its connect loop); a term ends when the app stops,
 * the tab closes, the manager stops for good (a refusal, the database gone), or this tab
 * went silent for the bound — frozen, paused, hung — and may have been replaced (see
 * `leader-heartbeat.ts`).
 *
 * A leader that wakes from a freeze runs what waited before it hears that its lock was
 * stolen (Chromium delivers a timer or an answer that waited before that news). So its
 * manager's store and transport are fenced: every call first checks that this tab's
 * beats are on time, which no tab steals from. A call that finds them late by the bound
 * ends the term there and then, sending and writing nothing, and the tab queues again:
 * if no other tab took the lock meanwhile, it is granted back at once and a new term
 * begins. The store's cursor check stays the last line behind that fence.
 */
import type { SyncManager } from '../src/engine/sync-manager.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../src/protocol/errors.ts';
import type { SyncStatus } from '../src/protocol/types.ts';
import { fenced, type Fence } from './leader-fence.ts';
import { LeaderHeartbeat, type HeartbeatOptions } from './leader-heartbeat.ts';
import { acquireLock, isSoloLocks, type HeldLock, type LockManagerLike } from './leader-lock.ts';

/** The heartbeat's time, bound and jitter (see `leader-heartbeat.ts`). */
export type LeaderHeartbeatSettings = Pick<HeartbeatOptions, 'timers' | 'silenceMs' | 'jitter'>;

/** What a term tells the rest of the worker. */
export interface LeaderTermHooks {
  /** A manager for a new term over its store and transport passed through `fence`, its events wired to the tabs. */
  newManager(fence: Fence): SyncManager;
  /** Tells the other tabs this one still leads (see `leader-heartbeat.ts`). */
  beat(): void;
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
  readonly #heartbeat: LeaderHeartbeat;

  constructor(
    locks: LockManagerLike,
    lockName: string,
    hooks: LeaderTermHooks,
    heartbeat: LeaderHeartbeatSettings,
  ) {
    this.#locks = locks;
    this.#lockName = lockName;
    this.#hooks = hooks;
    this.#heartbeat = new LeaderHeartbeat({
      ...heartbeat,
      beat: () => hooks.beat(),
      late: () => this.#term && this.#lose(this.#term),
      silent: () => void this.#steal(),
    });
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
      await this.#lead(lock, true);
      return;
    }
    this.#queueUp();
  }

  /** A leader beat (another tab's): a tab waiting in line starts its wait for silence again. */
  heard(): void {
    this.#heartbeat.heard();
  }

  #queueUp(): void {
    const queue = new AbortController();
    this.#queue = queue;
    this.#heartbeat.watch();
    void acquireLock(this.#locks, this.#lockName, { signal: queue.signal }).then((granted) => {
      if (granted === undefined) return;
      if (this.#queue === queue) this.#queue = undefined;
      return this.#leadLater(granted);
    });
  }

  /** The leader has been silent too long: take the lock from it, and lead. */
  async #steal(): Promise<void> {
    if (this.#queue === undefined) return; // (a tab in line wants sync)
    this.#queue.abort();
    this.#queue = undefined;
    const lock = await acquireLock(this.#locks, this.#lockName, { steal: true });
    if (lock !== undefined) await this.#leadLater(lock);
  }

  /** Leads with a lock that came while nobody waited for the answer: a failure goes to `onError`. */
  async #leadLater(lock: HeldLock): Promise<void> {
    try {
      await this.#lead(lock, false);
    } catch (error) {
      this.#hooks.onError(SyncError.from(error).toJSON());
    }
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

  /** Leads with `lock`; with `reportFinal`, a final refusal of the first handshake is thrown (to start()). */
  async #lead(lock: HeldLock, reportFinal: boolean): Promise<void> {
    if (!this.#wanted || this.#term !== undefined) {
      lock.release();
      return;
    }
    const manager = this.#hooks.newManager((target) => fenced(target, () => this.#term === term && (this.#heartbeat.fresh() || (this.#lose(term), false))));
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
    lock.onLost = () => this.#lose(term);
    this.#heartbeat.lead();
    const started = manager.start(); // running from here on, whatever its first attempt says
    this.#hooks.onLead(manager);
    try {
      await started;
    } catch (error) {
      // Stopped by us meanwhile (SHUTDOWN): every way we stop a manager stops wanting sync
      // first, or (the lock stolen) ends the term first.
      if (this.#term !== term || (!this.#wanted && term.ending === undefined)) return;
      await this.#giveUp(term, SyncError.from(error).toJSON());
      // A tab taking over cannot throw to anyone: status and the error event say why.
      if (reportFinal) throw error;
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

  /**
   * Another tab stole the lock, or may have (this tab's beats came late by the bound):
   * the term ends at once, before its manager has stopped, so the fence refuses its
   * every call and its status is no longer the tabs'. The tab still wants sync: it
   * queues again.
   */
  #lose(term: Term): void {
    if (this.#term !== term) return;
    this.#term = undefined;
    this.#heartbeat.stop();
    for (const off of term.off) off();
    this.#hooks.onResign(term.manager.status());
    term.lock.release(); // nothing if stolen; else the next in line (maybe this tab again) gets it
    void term.manager.stop();
    if (this.#wanted) this.#queueUp();
  }

  /** Stops leading (if this tab leads) and leaves the line for the lock. */
  async #resign(): Promise<void> {
    this.#queue?.abort();
    this.#queue = undefined;
    const term = this.#term;
    if (term === undefined) {
      this.#heartbeat.stop(); // in line: watch no more
      return;
    }
    try {
      // Still the leader while its manager ends the batch in flight and saves when it
      // last synced: it beats on until then, or the fence (beats late: `fresh()` false)
      // would refuse those last writes and end the term as if the lock were stolen.
      await term.manager.stop();
    } finally {
      for (const off of term.off) off();
      if (this.#term === term) {
        this.#term = undefined;
        this.#heartbeat.stop();
        this.#hooks.onResign(term.manager.status());
      }
      term.lock.release();
    }
  }
}
