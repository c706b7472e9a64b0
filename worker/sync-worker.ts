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
 * - here: the API, and the table of handlers for the other tabs' messages.
 *
 * Followers' writes reach the leader as `change` messages (a nudge to push at once), and
 * the leader shares status, progress, changes and conflicts with every tab.
 */
import { SyncManager } from '../src/engine/sync-manager.ts';
import { timersOf, type Timers } from '../src/engine/timers.ts';
import type { SyncEventMap } from '../src/engine/types.ts';
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import type { JsonValue, SyncProgress, SyncStatus } from '../src/protocol/types.ts';
import type { LocalStore, RecordEntry, RecordInput } from '../src/store/types.ts';
import type {
  WorkerConnectOptions,
  WorkerConnectResult,
  WorkerEvent,
  WorkerEventSink,
  WorkerTokenSource,
} from '../src/worker-api/sync-worker-api.ts';
import { SDK_VERSION } from '../src/worker-api/version.ts';
import { Connection } from './connection.ts';
import { ForwardedCalls, runOn } from './forwarded-calls.ts';
import { defaultLocks, type LockManagerLike } from './leader-lock.ts';
import type { Fence } from './leader-fence.ts';
import { LeaderTerms } from './leader-term.ts';
import { globalOnlineSignal, type OnlineSignal } from './online-signal.ts';
import { dispatchTabMessage, randomId, type ForwardedMethod, type TabMessage, type TabMessageHandlers } from './tab-channel.ts';
import { TabStatus } from './tab-status.ts';
import { DEFAULT_LEADER_ANSWER_TIMEOUT_MS, DEFAULT_LEADER_SILENCE_MS, type SyncWorkerOptions } from './worker-options.ts';

/** The rooms of one connection. */
interface Session {
  readonly connection: Connection;
  readonly terms: LeaderTerms;
  readonly calls: ForwardedCalls;
  readonly status: TabStatus;
  /** What this tab does with each kind of message from the other tabs. */
  readonly handlers: TabMessageHandlers;
}

function notConnected(what: string): SyncError {
  return new SyncError(ErrorCode.SHUTDOWN, `${what}: the sync worker is not connected (call connect() first) or was closed`);
}

/**
 * One tab's sync worker: the methods of `SyncWorkerApi` (`createSyncWorkerApi` puts it
 * behind Comlink), with the event sink given to `connect` directly.
 */
export class SyncWorker {
  readonly #options: SyncWorkerOptions;
  readonly #tabId = randomId();
  readonly #locks: LockManagerLike;
  readonly #online: OnlineSignal;
  readonly #timers: Timers;
  #session: Session | undefined;
  #connecting = false;

  constructor(options: SyncWorkerOptions = {}) {
    this.#options = options;
    this.#locks = options.locks ?? defaultLocks();
    this.#online = options.online ?? globalOnlineSignal();
    this.#timers = timersOf(options.time);
  }

  // ---- connect ----

  async connect(options: WorkerConnectOptions, events: WorkerEventSink, getToken?: WorkerTokenSource): Promise<WorkerConnectResult> {
    if (this.#session !== undefined || this.#connecting) {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'connect(): this sync worker is already connected; create a new worker per client');
    }
    this.#connecting = true;
    try {
      const connection = await Connection.open({
        options,
        sink: events,
        getToken,
        worker: this.#options,
        tabId: this.#tabId,
        onTabMessage: (message) => this.#onTabMessage(message),
      });
      const session = this.#sessionOf(connection);
      this.#session = session;
      connection.keep(connection.replica.subscribe((change) => connection.publish({ type: 'change', payload: change })));
      connection.keep(this.#online.subscribe((online) => this.#onOnline(online)));
      connection.keep(connection.pending.onChange(() => session.status.share()));
      connection.post({ kind: 'hello', from: this.#tabId });
      return { version: SDK_VERSION, instanceId: connection.replica.instanceId, status: session.status.answerConnect() };
    } finally {
      this.#connecting = false;
    }
  }

  #sessionOf(connection: Connection): Session {
    const terms: LeaderTerms = new LeaderTerms(this.#locks, connection.lockName, {
      newManager: (fence) => this.#newManager(session, 'leader', fence),
      beat: () => connection.post({ kind: 'beat', from: this.#tabId }),
      onLead: (manager) => {
        connection.post({ kind: 'leader', from: this.#tabId });
        status.termBegan();
        status.share();
        calls.runHere(manager);
      },
      onResign: (last) => status.termEnded(last),
      onFinalFailure: (failure) => {
        status.setFinalFailure(failure);
        status.share();
      },
      onLeaderGone: () => status.leaderGone(),
      onError: (error) => connection.publish({ type: 'error', payload: error }),
    }, { timers: this.#timers, silenceMs: this.#options.leaderSilenceMs ?? DEFAULT_LEADER_SILENCE_MS, jitter: Math.random() });
    const status = new TabStatus(connection, { leader: () => terms.manager, wantsSync: () => terms.wanted });
    const calls = new ForwardedCalls({
      connection,
      locks: this.#locks,
      timers: this.#timers,
      answerTimeoutMs: this.#options.leaderAnswerTimeoutMs ?? DEFAULT_LEADER_ANSWER_TIMEOUT_MS,
      runAlone: (method) => this.#runAlone(session, method),
    });
    const session: Session = { connection, terms, calls, status, handlers: this.#handlers(connection, terms, calls, status) };
    return session;
  }

  // ---- data: every tab writes its own connection to the shared database ----

  put(collective: string, id: string, value: JsonValue): Promise<void> {
    return this.#replica('put').put(collective, id, value);
  }

  putMany(records: readonly RecordInput[]): Promise<void> {
    return this.#replica('putMany').putMany(records);
  }

  delete(collective: string, id: string): Promise<void> {
    return this.#replica('delete').delete(collective, id);
  }

  get(collective: string, id: string): Promise<RecordEntry | undefined> {
    return this.#replica('get').get(collective, id);
  }

  list(collective: string): Promise<RecordEntry[]> {
    return this.#replica('list').list(collective);
  }

  #replica(what: string): LocalStore {
    return this.#connected(what).connection.replica;
  }

  // ---- lifecycle ----

  /**
   * Joins the sync. If no tab leads, this one becomes the leader and starts the loop;
   * it resolves after the first handshake attempt, whatever it said unless a final
   * refusal (offline, server down: status says so and the engine retries). Otherwise
   * the tab queues for the lock and resolves at once. Fails `ALREADY_STARTED` when started.
   */
  async start(): Promise<void> {
    const { terms, status } = this.#connected('start');
    if (terms.wanted) {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'start(): sync is already started in this tab; call stop() first');
    }
    status.setFinalFailure(undefined);
    await terms.join();
    status.share();
  }

  /** Leaves the sync; a leading tab stops its loop and hands the lock to the next tab. */
  async stop(): Promise<void> {
    const { terms, status } = this.#connected('stop');
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
    return this.#session?.status.current() ?? { state: 'idle', running: false, pending: 0, lastSyncedAt: null };
  }

  /** Stops, leaves the tabs, closes the replica. The connection is over. */
  async close(): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    try {
      await session.terms.close();
    } finally {
      session.calls.close();
      this.#session = undefined;
      session.connection.close();
    }
  }

  #connected(what: string): Session {
    if (this.#session === undefined) throw notConnected(what);
    return this.#session;
  }

  #leaderCall(method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const { calls, terms } = this.#connected(method);
    return calls.call(method, terms.manager);
  }

  /** Runs `method` on a manager made for this one call (this tab holds the lock). */
  async #runAlone(session: Session, method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const manager = this.#newManager(session, 'one-call');
    try {
      return await runOn(manager, method);
    } finally {
      await manager.stop();
    }
  }

  /**
   * A manager over this tab's connection and pending count, whose progress, conflict and
   * error events go to every tab (its `change` events are the replica's, published
   * already). The leader's status is this tab's; a manager made for one call reports its own.
   */
  #newManager(session: Session, role: 'leader' | 'one-call', fence: Fence = (target) => target): SyncManager {
    const { connection, terms, status } = session;
    const manager = new SyncManager(fence(connection.replica), fence(connection.transport), connection.config, {
      ...this.#timers,
      pendingCount: connection.pending,
    });
    manager.setOnline(this.#online.isOnline());
    for (const type of ['progress', 'conflict', 'error'] as const) {
      manager.on(type, (payload: SyncEventMap[typeof type]) => connection.publish({ type, payload } as WorkerEvent));
    }
    manager.on('status', (payload) => {
      if (role === 'one-call') connection.publish({ type: 'status', payload });
      // Not while a later term runs: a stopped manager may still report late.
      else if (terms.manager === undefined || terms.manager === manager) status.share();
    });
    return manager;
  }

  #onOnline(online: boolean): void {
    this.#session?.terms.manager?.setOnline(online);
  }

  // ---- the other tabs ----

  #onTabMessage(message: TabMessage): void {
    const session = this.#session;
    if (session !== undefined) dispatchTabMessage(session.handlers, message);
  }

  #handlers(connection: Connection, terms: LeaderTerms, calls: ForwardedCalls, status: TabStatus): TabMessageHandlers {
    return {
      event: ({ event }) => {
        if (event.type === 'status') {
          if (terms.manager !== undefined) return; // only one leader's status counts: ours
          status.heard(event.payload);
          terms.watch();
          return;
        }
        if (event.type === 'change' && event.payload.source === 'local') {
          // Another tab wrote: the change log grew. As leader, push it now rather than at the next interval.
          void connection.pending.refresh();
          terms.manager?.requestPush();
        }
        connection.deliver(event);
      },
      hello: () => status.answerHello(),
      beat: () => terms.heard(),
      leader: () => {
        calls.resend();
        terms.watch();
      },
      call: (message) => calls.serve(message, terms.manager),
      accepted: (message) => calls.accepted(message),
      reply: (message) => calls.replied(message),
    };
  }
}
