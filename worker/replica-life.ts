/**
 * The life of one tab's replica connection across a clear: the presence lock it holds
 * while open, the clear it runs or yields to (`clear-data.ts`), and the gate that makes
 * the tab's calls wait while its session is replaced instead of failing
 * `DATABASE_CLOSED`. After a clear every tab reopens, syncs again if it did, and its
 * page gets a `reset` event (the replica has a new identity).
 */
import type { Timers } from '../src/engine/timers.ts';
import type { ClearLocalDataOptions } from '../src/worker-api/sync-worker-api.ts';
import { pendingWritesError, ReplicaPresence } from './clear-data.ts';
import type { LockManagerLike } from './leader-lock.ts';
import { stopSessionSync, type Session } from './session.ts';

/** How the worker's session is reached, replaced and ended. */
export interface SessionHost {
  current(): Session | undefined;
  /** Opens a new session; joins the sync when `wanted`. */
  open(wanted: boolean): Promise<Session>;
  /** Ends the current session, if any. */
  close(): Promise<void>;
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
  readonly #presence: ReplicaPresence;
  readonly #host: SessionHost;
  readonly #tabId: string;
  /** Settles once the session replaced now is in place; calls wait on it. */
  #gate: Promise<void> | undefined;

  constructor(options: ReplicaLifeOptions, host: SessionHost) {
    this.#presence = new ReplicaPresence(options);
    this.#host = host;
    this.#tabId = options.tabId;
  }

  /** Joins the replica's tabs (waits while one of them clears). */
  enter(): Promise<void> {
    return this.#presence.enter();
  }

  /** Leaves them (the tab closes). */
  leave(): void {
    this.#presence.leave();
  }

  /** Resolves when no session is being replaced. */
  async ready(): Promise<void> {
    while (this.#gate !== undefined) await this.#gate;
  }

  /**
   * Clears the replica's local data with every tab (see `clear-data.ts`). Refuses
   * `PENDING_WRITES` at once, before disturbing any tab, and again once no other tab
   * has the database open (a write may have come in between).
   */
  async clear(options: ClearLocalDataOptions = {}): Promise<void> {
    const discardPending = options.discardPending === true;
    const pending = await this.#pendingCount();
    if (pending > 0 && !discardPending) throw pendingWritesError(pending);
    await this.#replacing(async () => {
      const wanted = await this.#stopSync();
      await this.#presence.clear({
        discardPending,
        announce: () => this.#post('clear'),
        pendingCount: () => this.#pendingCount(),
        close: () => this.#host.close(),
        reopen: async (cleared) => {
          await this.#host.close(); // still open if the clear was refused before closing
          const session = await this.#host.open(wanted);
          if (cleared) this.#reset(session);
        },
      });
    });
  }

  /** Another tab clears: let go, come back once it is done (told by `reset` if the replica changed). */
  yieldToClear(): void {
    if (this.#gate !== undefined) return; // already yielding (the clearer says it again each second), or clearing
    const before = this.#host.current()?.connection.replica.instanceId;
    void this.#replacing(async () => {
      const wanted = await this.#stopSync();
      await this.#presence.yieldTo({
        close: () => this.#host.close(),
        reopen: async () => {
          const session = await this.#host.open(wanted);
          if (session.connection.replica.instanceId !== before) this.#reset(session);
        },
      });
    }).catch(() => undefined); // a failed reopen: calls fail SHUTDOWN (no session), the page hears it then
  }

  async #pendingCount(): Promise<number> {
    const pending = this.#host.current()?.connection.pending;
    await pending?.refresh();
    return pending?.value ?? 0;
  }

  async #stopSync(): Promise<boolean> {
    const session = this.#host.current();
    return session === undefined ? false : stopSessionSync(session);
  }

  #post(kind: 'clear'): void {
    this.#host.current()?.connection.post({ kind, from: this.#tabId });
  }

  /** The replica was replaced: this tab's page hears `reset`, then where sync stands. */
  #reset(session: Session): void {
    session.connection.deliver({ type: 'reset', payload: { cause: 'local-data-cleared', instanceId: session.connection.replica.instanceId } });
    session.status.share();
  }

  async #replacing<T>(run: () => Promise<T>): Promise<T> {
    await this.ready();
    const running = run();
    const gate = running.then(
      () => undefined,
      () => undefined,
    );
    this.#gate = gate;
    try {
      return await running;
    } finally {
      if (this.#gate === gate) this.#gate = undefined;
    }
  }
}
