/**
 * The sync worker of one tab: the methods the page calls (`SyncWorkerApi`), each handed
 * to the room that does it. Every tab reads and writes the shared IndexedDB itself; the
 * tab that leads (Web Locks) runs the `SyncManager`, and the tabs talk over a
 * BroadcastChannel. The rooms, one job each:
 *
 * - `connection.ts`: what connect opens (replica, transport, tab channel, pending count);
 * - `leader-term.ts`: waiting in line, leading, resigning, watching the leader lock;
 * - `forwarded-calls.ts`: `syncOnce`/`initialSync`, run by whichever tab leads;
 * - `tab-status.ts`: the status this tab shows and shares;
 * - `push-waiters.ts`: the receipts waiting for what the server did with a write;
 * - `replica-life.ts`: the presence lock, clearing local data
 *   with every tab, the gate calls wait at while the session is replaced;
 * - `worker-collections.ts`, only in a worker given `collections`: declared indexes,
 *   queries and live queries, around the connection it opens;
 * - `session-rooms.ts`: the rooms of one session wired together, the managers the
 *   leader runs, and what this tab does with each message of the other tabs;
 * - here: the API, and opening, replacing and closing sessions.
 *
 * Followers' writes reach the leader as `change` messages (a nudge to push at once), and
 * the leader shares status, progress, changes and conflicts with every tab.
 */
import type { PushOutcome, WriteReceipt } from '../src/engine/acks.ts';
import { readSyncFacts } from '../src/engine/sync-facts.ts';
import { timersOf, type Timers } from '../src/engine/timers.ts';
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import type { JsonValue, SyncProgress, SyncStatus } from '../src/protocol/types.ts';
import { pendingWrites, type PendingWrite, type PendingWritesOptions } from '../src/store/outbox-view.ts';
import type { LocalStore, LocalWrite, RecordEntry, RecordInput } from '../src/store/types.ts';
import { recordsToWrites } from '../src/store/write-validation.ts';
import {
  IDLE_STATUS,
  type ClearLocalDataOptions,
  type WorkerConnectOptions,
  type WorkerConnectResult,
  type WorkerEventSink,
  type WorkerTokenSource,
} from '../src/worker-api/sync-worker-api.ts';
import { SDK_VERSION } from '../src/worker-api/version.ts';
import { WITH_COLLECTIONS } from '../src/engine/prebuilt-worker.ts';
import type { CollectionsSeam } from './collections-seam.ts';
import { Connection } from './connection.ts';
import { defaultLocks, type LockManagerLike } from './leader-lock.ts';
import { globalOnlineSignal, type OnlineSignal } from './online-signal.ts';
import { DEFAULT_CLEAR_TIMEOUT_MS, ReplicaLife } from './replica-life.ts';
import { PushWaiters } from './push-waiters.ts';
import { closeSession, type Session } from './session.ts';
import { dispatchTabMessage, randomId, type ForwardedMethod, type TabMessage } from './tab-channel.ts';
import { sessionRooms, type SessionRooms } from './session-rooms.ts';
import { injected, type SyncWorkerOptions } from './worker-options.ts';

/** What the page gave connect(). */
interface ConnectArgs {
  readonly options: WorkerConnectOptions;
  readonly events: WorkerEventSink;
  readonly getToken: WorkerTokenSource | undefined;
}

/** How long a status whose only news is the pending count may wait, gathering the counts of later writes. */
const PENDING_STATUS_MS = 50;

function notConnected(what: string): SyncError {
  return new SyncError(ErrorCode.SHUTDOWN, `${what}: the worker is not connected (connect() first) or closed`);
}

/**
 * One tab's sync worker: the methods of `SyncWorkerApi` (`createSyncWorkerApi` puts it
 * on the wire), with the event sink given to `connect` directly.
 */
export class SyncWorker {
  readonly #options: SyncWorkerOptions;
  readonly #tabId = randomId();
  readonly #locks: LockManagerLike;
  readonly #online: OnlineSignal;
  readonly #timers: Timers;
  #session: Session | undefined;
  #connecting = false;
  /** What connect() was given: a session replaced after a clear is opened with it again. */
  #request: ConnectArgs | undefined;
  #life: ReplicaLife | undefined;
  readonly #waiters = new PushWaiters(() => this.#replica('whenPushed'));
  /** What the rooms of every session need of this worker (`session-rooms.ts`). */
  readonly #rooms: SessionRooms;

  constructor(options: SyncWorkerOptions = {}) {
    this.#options = options;
    this.#locks = injected(options, 'locks') ?? defaultLocks();
    this.#online = injected(options, 'online') ?? globalOnlineSignal();
    this.#timers = timersOf(injected(options, 'time'));
    this.#rooms = sessionRooms({
      tabId: this.#tabId,
      options,
      locks: this.#locks,
      online: this.#online,
      timers: this.#timers,
      waiters: this.#waiters,
      current: () => this.#session,
      yieldToClear: () => this.#life?.yieldToClear(),
    });
  }

  // ---- connect ----

  async connect(options: WorkerConnectOptions, events: WorkerEventSink, getToken?: WorkerTokenSource): Promise<WorkerConnectResult> {
    if (this.#session !== undefined || this.#connecting) {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'connect(): already connected; one worker per client');
    }
    this.#connecting = true;
    const life = this.#lifeOf(options.name);
    try {
      this.#request = { options, events, getToken };
      await life.enter(); // waits while another tab clears the replica
      const session = await this.#openSession(false);
      this.#life = life;
      return { version: SDK_VERSION, instanceId: session.connection.replica.instanceId, status: session.status.answerConnect() };
    } catch (error) {
      life.leave();
      throw error;
    } finally {
      this.#connecting = false;
    }
  }

  /** Opens the replica and the rooms of a session; joins the sync when `wanted` (after a clear). */
  async #openSession(wanted: boolean): Promise<Session> {
    const { options, events, getToken } = this.#request as ConnectArgs;
    // A worker given collections opens the connections of pages that declare some, the
    // replica made anew after clearLocalData too. (`collections` is opaque in the
    // options; workerCollections is the only one.)
    const open = (WITH_COLLECTIONS ? (this.#options.collections as CollectionsSeam | undefined) : undefined)?.connect ?? Connection.open;
    const connection = await open(
      {
        options,
        sink: events,
        getToken,
        worker: this.#options,
        tabId: this.#tabId,
        onTabMessage: (message) => this.#onTabMessage(message),
      },
      this,
    );
    const session = this.#rooms.sessionOf(connection);
    this.#session = session;
    connection.keep(connection.replica.subscribe((change) => this.#rooms.publish(session, { type: 'change', payload: change })));
    connection.keep(this.#online.subscribe((online) => this.#onOnline(online)));
    // The count moves with every local write: its status goes out at most once per
    // PENDING_STATUS_MS, so a burst of puts sends a few statuses, not one per put
    // (whatever else is shared meanwhile carries the count as it stands).
    let soon: unknown;
    connection.keep(connection.pending.onChange(() => {
      soon ??= this.#timers.setTimeout(() => {
        soon = undefined;
        session.status.share();
      }, PENDING_STATUS_MS);
    }));
    connection.keep(() => this.#timers.clearTimeout(soon));
    session.status.restore(await readSyncFacts(connection.replica));
    connection.post({ kind: 'hello', from: this.#tabId });
    if (wanted) session.terms.join().catch((error: unknown) => connection.deliver({ type: 'error', payload: SyncError.from(error).toJSON() }));
    void this.#waiters.settle(); // receipts of a replica this one replaced are unknown now
    return session;
  }

  /** The replica's life in this tab: presence, clearing, the session replaced after a clear. */
  #lifeOf(name: string): ReplicaLife {
    const timeoutMs = injected(this.#options, 'clearTimeoutMs') ?? DEFAULT_CLEAR_TIMEOUT_MS;
    const factory = injected(this.#options, 'indexedDB') ?? globalThis.indexedDB;
    return new ReplicaLife({ locks: this.#locks, name, factory, timers: this.#timers, timeoutMs, tabId: this.#tabId }, {
      current: () => this.#session,
      close: () => this.#closeSession(),
      reopen: async (wanted, before) => {
        await this.#closeSession(); // still open if a clear failed before closing it
        const session = await this.#openSession(wanted);
        const { instanceId } = session.connection.replica;
        if (instanceId === before) return;
        // The replica was replaced: this tab's page hears `reset`, then where sync stands.
        session.connection.deliver({ type: 'reset', payload: { cause: 'local-data-cleared', instanceId } });
        session.status.share();
      },
    });
  }

  /** Ends the session, if any: its sync, rooms and replica. */
  async #closeSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) await closeSession(session);
  }

  // ---- data: every tab writes its own connection to the shared database ----

  put(collective: string, id: string, value: JsonValue): Promise<WriteReceipt> {
    return this.#write('put', () => [{ op: 'put', collective, id, value }]);
  }

  putMany(records: readonly RecordInput[]): Promise<WriteReceipt> {
    return this.#write('putMany', () => recordsToWrites(records), 'records');
  }

  delete(collective: string, id: string): Promise<WriteReceipt> {
    return this.#write('delete', () => [{ op: 'delete', collective, id }]);
  }

  async get(collective: string, id: string): Promise<RecordEntry | undefined> {
    return (await this.#replica('get')).get(collective, id);
  }

  async list(collective: string): Promise<RecordEntry[]> {
    return (await this.#replica('list')).list(collective);
  }

  /** A write through `write()`, whose logged seqs make its receipt; its messages name `field`. */
  async #write(what: string, writes: () => LocalWrite[], field = what): Promise<WriteReceipt> {
    const replica = await this.#replica(what);
    const logged = await replica.write(writes(), { field });
    return { instanceId: replica.instanceId, firstSeq: logged[0]?.seq ?? 0, seq: logged.at(-1)?.seq ?? 0 };
  }

  /** The replica, once no clear is replacing it: what the calls of `workerFields` work on. */
  replicaFor(what: string): Promise<LocalStore> {
    return this.#replica(what);
  }

  /** The replica, once no clear is replacing it (a private name: it is mangled in the bundles). */
  async #replica(what: string): Promise<LocalStore> {
    return (await this.#ready(what)).connection.replica;
  }

  // ---- the outbox and the replica's life (issue 12) ----

  async pending(options?: PendingWritesOptions): Promise<PendingWrite[]> {
    return pendingWrites(await this.#replica('pending'), options, this.#timers.now());
  }

  async isPending(collective: string, id: string): Promise<boolean> {
    return (await this.#ready('isPending')).outbox.isPending(collective, id);
  }

  async pendingIds(collective: string): Promise<string[]> {
    return (await this.#ready('pendingIds')).outbox.pendingIds(collective);
  }

  whenPushed(receipt: WriteReceipt): Promise<PushOutcome> {
    return this.#waiters.whenPushed(receipt);
  }

  /** Clears the replica's local data with every tab (`replica-life.ts`). */
  async clearLocalData(options: ClearLocalDataOptions = {}): Promise<void> {
    await this.#ready('clearLocalData');
    await (this.#life as ReplicaLife).clear(options);
  }

  /** The session, once no clear is replacing it. */
  async #ready(what: string): Promise<Session> {
    await this.#life?.ready();
    return this.#connected(what);
  }

  // ---- lifecycle ----

  /**
   * Joins the sync. If no tab leads, this one becomes the leader and starts the loop;
   * it resolves after the first handshake attempt, whatever it said unless a final
   * refusal (offline, server down: status says so and the engine retries). Otherwise
   * the tab queues for the lock and resolves at once. Fails `ALREADY_STARTED` when started.
   */
  async start(): Promise<void> {
    const { terms, status } = await this.#ready('start');
    if (terms.wanted) {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'start(): already started; stop() first');
    }
    status.setFinalFailure(undefined);
    await terms.join();
    status.share();
  }

  /** Leaves the sync; a leading tab stops its loop and hands the lock to the next tab. */
  async stop(): Promise<void> {
    const { terms, status } = await this.#ready('stop');
    await terms.leave();
    status.share();
  }

  /** One cycle: here if this tab leads or nobody does, else by the leader. */
  async syncOnce(): Promise<void> {
    await this.#leaderCall('syncOnce');
  }

  /** The catch-up: here if this tab leads (joining the loop's) or nobody does, else by the leader. */
  async initialSync(): Promise<SyncProgress> {
    const result = await this.#leaderCall('initialSync');
    return result ?? { batch: 0, totalPulled: 0, hasMore: false, total: 0 };
  }

  /** The page saw the network come back: a leader waiting out a backoff retries now. */
  networkBack(): void {
    this.#onOnline(true);
  }

  /** What this tab shows (see `TabStatus.current`); `idle` before connect. */
  status(): SyncStatus {
    return this.#session?.status.current() ?? IDLE_STATUS;
  }

  /** Stops, leaves the tabs, closes the replica. The connection is over. */
  async close(): Promise<void> {
    const life = this.#life;
    this.#life = undefined;
    await life?.ready();
    try {
      await this.#closeSession();
    } finally {
      life?.leave();
      await this.#waiters.settle(); // no replica now: waiting receipts fail SHUTDOWN
    }
  }

  #connected(what: string): Session {
    if (this.#session === undefined) throw notConnected(what);
    return this.#session;
  }

  async #leaderCall(method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const { calls, terms } = await this.#ready(method);
    return calls.call(method, terms.manager);
  }

  #onOnline(online: boolean): void {
    this.#session?.terms.manager?.setOnline(online);
  }

  /** A message of another tab, for the session open now. */
  #onTabMessage(message: TabMessage): void {
    const session = this.#session;
    if (session !== undefined) dispatchTabMessage(session.handlers, message);
  }
}
