/**
 * The status one tab shows, and how it is shared between tabs. A leading tab shows its
 * manager's status and tells the other tabs; the others show the last status the leader
 * told (`idle` once no tab leads). Whatever the tab, `pending` is its own count of the
 * shared replica, and `running` is true while the app wants sync in this tab.
 */
import type { SyncFacts } from '../src/engine/sync-facts.ts';
import type { SyncManager } from '../src/engine/sync-manager.ts';
import type { SyncErrorData } from '../src/protocol/errors.ts';
import type { SyncStatus } from '../src/protocol/types.ts';
import { IDLE_STATUS } from '../src/worker-api/sync-worker-api.ts';
import type { Connection } from './connection.ts';


/** What the status reads from the leader term. */
export interface LeaderView {
  /** This tab's manager while it leads. */
  leader(): SyncManager | undefined;
  /** The app called start() and not stop(). */
  wantsSync(): boolean;
}

/** One tab's status; see the file comment. */
export class TabStatus {
  readonly #connection: Connection;
  readonly #view: LeaderView;
  /** The leader's last status, as heard over the channel (or this tab's last, after leading). */
  #leaderStatus: SyncStatus = IDLE_STATUS;
  /** Why this tab stopped syncing for good (start refused, database gone); shown until the next start(). */
  #finalFailure: SyncErrorData | undefined;
  /** The last status this tab's page was sent (JSON), and the other tabs while this tab leads. */
  #shown = { page: '', tabs: '' };

  constructor(connection: Connection, view: LeaderView) {
    this.#connection = connection;
    this.#view = view;
  }

  /**
   * The leader's status if this tab leads, else the last one the leader shared. While
   * the app wants sync `running` is true, in a follower tab too. `pending` is this tab's
   * own count.
   */
  current(): SyncStatus {
    const lead = this.#view.leader()?.status();
    let status: SyncStatus;
    if (lead === undefined && this.#finalFailure !== undefined) {
      status = { ...this.#leaderStatus, state: 'error', running: false, error: this.#finalFailure };
    } else {
      const base = lead ?? this.#leaderStatus;
      status = this.#view.wantsSync() && !base.running ? { ...base, running: true } : base;
    }
    const pending = this.#connection.pending.value;
    return pending === undefined || pending === status.pending ? status : { ...status, pending };
  }

  /** The status the answer to connect carries: the page has it then, so it is not sent again. */
  answerConnect(): SyncStatus {
    const status = this.current();
    this.#shown.page = JSON.stringify(status);
    return status;
  }

  /** Sends the current status to this tab's page if it changed; a leader tells the other tabs too. */
  share(): void {
    const status = this.current();
    const json = JSON.stringify(status);
    if (this.#view.leader() !== undefined && json !== this.#shown.tabs) {
      this.#shown.tabs = json;
      this.#connection.tellTabs({ type: 'status', payload: status });
    }
    if (json === this.#shown.page) return;
    this.#shown.page = json;
    this.#connection.deliver({ type: 'status', payload: status });
  }

  /** A tab joined: a leader tells it where sync stands. */
  answerHello(): void {
    if (this.#view.leader() === undefined) return;
    this.#connection.tellTabs({ type: 'status', payload: this.current() });
  }

  /**
   * The leader's status, heard over the channel. If its pending count differs from
   * ours, one of us is behind (its push, or a write we have not counted): count again
   * first, so the status shown is the new state with the current count.
   */
  heard(status: SyncStatus): void {
    this.#leaderStatus = status;
    const { pending } = this.#connection;
    if (pending.value === status.pending) this.share();
    else void pending.refresh().then(() => this.share());
  }

  /** The leader lock was free: no tab leads, so nobody syncs (whatever the last leader said). */
  leaderGone(): void {
    this.#leaderStatus = { ...IDLE_STATUS, lastSyncedAt: this.#leaderStatus.lastSyncedAt };
    this.share();
  }

  /** What the replica remembers of its sync (a reload): shown until a leader speaks. */
  restore(facts: SyncFacts): void {
    if (this.#leaderStatus.lastSyncedAt !== null) return;
    const { lastSyncedAt, cursors } = facts;
    this.#leaderStatus = { ...this.#leaderStatus, lastSyncedAt, ...(cursors === undefined ? {} : { cursors }) };
  }

  /** This tab leads now: the other tabs hear its status whatever they heard before. */
  termBegan(): void {
    this.#shown.tabs = '';
  }

  /** This tab's term ended: until another leader speaks it shows its own last word, stopped. */
  termEnded(last: SyncStatus): void {
    this.#leaderStatus = { ...last, running: false };
  }

  /** Sync stopped for good in this tab (`undefined`: a new start() clears it). */
  setFinalFailure(failure: SyncErrorData | undefined): void {
    this.#finalFailure = failure;
  }
}
