/**
 * The sync worker of one tab: it owns the tab's connection to the replica, and — when
 * it is the leader among the tabs of the same app (Web Locks) — the `SyncManager` that
 * runs the sync loop. Followers read and write the shared IndexedDB themselves; their
 * writes reach the leader as `change` messages (a nudge to push at once), and the
 * leader shares status, progress, changes and conflicts with every tab.
 *
 * Every tab counts the replica's pending changes itself (they share one change log the
 * leader's engine only partly sees), so `status().pending` is true in each. A tab that
 * neither leads nor waits to (it never started, or stopped) watches the leader's lock:
 * once the lock is free — the leader stopped, closed or crashed — it shows `idle`
 * rather than the last word of a leader that is gone.
 *
 * ```
 *   connect ──► follower ──start()──► waiting for the lock ──granted──► leader
 *                  ▲                                                     │
 *                  └──────────── stop() / close(): lock released ◄───────┘
 * ```
 */
import { Backoff } from '../src/engine/backoff.ts';
import { SyncManager } from '../src/engine/sync-manager.ts';
import type { ConflictResolver, SyncConfigInput, SyncEventMap } from '../src/engine/types.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../src/protocol/errors.ts';
import type { JsonValue, SyncProgress, SyncStatus } from '../src/protocol/types.ts';
import { openReplica, type KeyRangeFactory } from '../src/store/idb-replica.ts';
import type { LocalStore, RecordEntry, RecordInput } from '../src/store/types.ts';
import { validateConfig } from '../src/engine/config.ts';
import { httpTransport } from '../src/transport/http-transport.ts';
import type { SyncTransport } from '../src/transport/types.ts';
import { SDK_VERSION } from '../src/worker-api/version.ts';
import {
  type WorkerConnectOptions,
  type WorkerConnectResult,
  type WorkerEvent,
  type WorkerEventSink,
  type WorkerTokenSource,
} from '../src/worker-api/sync-worker-api.ts';
import { acquireLock, defaultLocks, isSoloLocks, leaderLockName, type HeldLock, type LockManagerLike } from './leader-lock.ts';
import { globalOnlineSignal, type OnlineSignal } from './online-signal.ts';
import { PendingCounter } from './pending-counter.ts';
import {
  defaultBroadcastChannel,
  TabChannel,
  tabChannelName,
  type BroadcastChannelFactory,
  type ForwardedMethod,
  type TabMessage,
} from './tab-channel.ts';

/** What a custom transport factory receives: the connection settings the client sent. */
export interface TransportSettings {
  readonly url: string;
  /** Returns the current bearer token (the client's `token`, or its `getToken`). */
  readonly getToken?: () => Promise<string | undefined>;
}

/**
 * How an app's own worker module sets up sync (functions cannot be sent to a worker,
 * so they are given here). Every field is optional.
 */
export interface SyncWorkerOptions {
  /** Builds the transport. Default: `httpTransport({ url, getToken })`. */
  readonly transport?: (settings: TransportSettings) => SyncTransport;
  /** A custom conflict resolver (see `SyncConfig.resolver`). */
  readonly conflictResolver?: ConflictResolver;
  /** Transaction durability of local writes (see `ReplicaOptions.durability`). */
  readonly durability?: IDBTransactionDurability;
  /** Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
  /** Default `globalThis.IDBKeyRange`. */
  readonly IDBKeyRange?: KeyRangeFactory;
  /** Default `navigator.locks` (each worker leads alone where it is missing). */
  readonly locks?: LockManagerLike;
  /** Default `new BroadcastChannel(name)`. */
  readonly broadcastChannel?: BroadcastChannelFactory;
  /** Default the worker's `navigator.onLine` and `online`/`offline` events. */
  readonly online?: OnlineSignal;
  /**
   * How long a follower's forwarded `syncOnce`/`initialSync` waits for the leader to
   * take it before failing `TIMEOUT` (a leader of another build, or frozen). Once
   * taken, the call runs as long as it needs. Default 5000 ms.
   */
  readonly leaderAnswerTimeoutMs?: number;
}

/** Default of {@link SyncWorkerOptions.leaderAnswerTimeoutMs}. */
export const DEFAULT_LEADER_ANSWER_TIMEOUT_MS = 5000;

/** Codes after which restarting the handshake by itself cannot help. */
const FINAL_START_CODES: ReadonlySet<string> = new Set([
  ErrorCode.PROTOCOL_VERSION,
  ErrorCode.HANDSHAKE_REJECTED,
  ErrorCode.INVALID_CONFIG,
  ErrorCode.UNAUTHORIZED,
  ErrorCode.FORBIDDEN,
  ErrorCode.DATABASE_CLOSED,
]);

const IDLE_STATUS: SyncStatus = { state: 'idle', running: false, pending: 0, lastSyncedAt: null };

/** A forwarded call waiting for the leader's answer. */
interface PendingCall {
  readonly method: ForwardedMethod;
  readonly resolve: (result: SyncProgress | undefined) => void;
  readonly reject: (error: unknown) => void;
  /** Cancels the backstop: our own request for the lock, granted if the leader dies. */
  readonly backstop: AbortController;
  /** Runs out unless the leader says it took the call (see `leaderAnswerTimeoutMs`). */
  answerTimer?: ReturnType<typeof setTimeout>;
}

/** The state of one connected worker. */
interface Connection {
  readonly replica: LocalStore;
  readonly channel: TabChannel;
  readonly transport: SyncTransport;
  readonly sink: WorkerEventSink;
  readonly config: SyncConfigInput;
  readonly lockName: string;
  /** This tab's count of the replica's pending changes: the `pending` of every status it shows. */
  readonly pending: PendingCounter;
  readonly unsubscribe: readonly (() => void)[];
}

function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
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
  #connection: Connection | undefined;
  #connecting = false;
  /** The app called start() and not stop(). */
  #wantSync = false;
  /** Cancels our wait in line for the leader lock. */
  #queue: AbortController | undefined;
  /** Cancels our watch of the leader lock (see {@link SyncWorker.#watchLeader}). */
  #watch: AbortController | undefined;
  /** Set while this tab leads. */
  #lead: { readonly lock: HeldLock; readonly manager: SyncManager; readonly off: () => void } | undefined;
  /** A leader whose start failed waits to retry: on this timer, or at once when the device comes online. */
  #restart: { readonly manager: SyncManager; timer?: ReturnType<typeof setTimeout> } | undefined;
  #restartBackoff: Backoff | undefined;
  /** The leader's last status, as heard over the channel. */
  #leaderStatus: SyncStatus = IDLE_STATUS;
  /** Why this tab stopped syncing for good (start refused, database gone); shown by status() until the next start(). */
  #finalFailure: SyncErrorData | undefined;
  /** The last status this tab's page was sent (JSON), and the other tabs while this tab leads. */
  #shown = { page: '', tabs: '' };
  readonly #pending = new Map<string, PendingCall>();

  constructor(options: SyncWorkerOptions = {}) {
    this.#options = options;
    this.#locks = options.locks ?? defaultLocks();
    this.#online = options.online ?? globalOnlineSignal();
  }

  // ---- connect ----

  async connect(options: WorkerConnectOptions, events: WorkerEventSink, getToken?: WorkerTokenSource): Promise<WorkerConnectResult> {
    if (options?.version !== SDK_VERSION) {
      throw new SyncError(
        ErrorCode.VERSION_MISMATCH,
        `The pulsesync worker (build ${SDK_VERSION}) and the page's client (build ${String(options?.version)}) come from different builds — usually a stale worker script in the browser's cache. Reload the page; if it persists, make sure the worker is bundled with the same pulsesync version as the page.`,
        { details: { worker: SDK_VERSION, client: String(options?.version) } },
      );
    }
    if (this.#connection !== undefined || this.#connecting) {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'connect(): this sync worker is already connected; create a new worker per client');
    }
    if (typeof options.url !== 'string' || options.url.length === 0) {
      throw new SyncError(ErrorCode.INVALID_CONFIG, 'createSyncClient: url must be the sync server base URL, e.g. "https://example.com"', {
        details: { field: 'url' },
      });
    }
    const config: SyncConfigInput = {
      ...options.config,
      ...(this.#options.conflictResolver === undefined ? {} : { resolver: this.#options.conflictResolver }),
    };
    validateConfig(config); // fail here, at connect, rather than when this tab first leads
    this.#connecting = true;
    try {
      const replica = await openReplica({
        name: options.name,
        ...(this.#options.indexedDB === undefined ? {} : { indexedDB: this.#options.indexedDB }),
        ...(this.#options.IDBKeyRange === undefined ? {} : { IDBKeyRange: this.#options.IDBKeyRange }),
        ...(this.#options.durability === undefined ? {} : { durability: this.#options.durability }),
      });
      let transport: SyncTransport;
      try {
        const tokenSource = this.#tokenSource(options, getToken);
        const settings: TransportSettings = tokenSource === undefined ? { url: options.url } : { url: options.url, getToken: tokenSource };
        transport = this.#options.transport?.(settings) ?? httpTransport(settings);
      } catch (error) {
        replica.close(); // a transport that cannot be built: do not keep the database open
        throw error;
      }
      const channel = new TabChannel((this.#options.broadcastChannel ?? defaultBroadcastChannel)(tabChannelName(options.name)), (message) =>
        this.#onTabMessage(message),
      );
      const unsubscribe = [
        replica.subscribe((change) => {
          this.#publish({ type: 'change', payload: change });
          if (change.source === 'local') void this.#connection?.pending.refresh();
        }),
        this.#online.subscribe((online) => this.#onOnline(online)),
      ];
      const pending = new PendingCounter(
        () => replica.pendingCount(),
        () => this.#shareStatus(),
      );
      this.#connection = { replica, channel, transport, sink: events, config, lockName: leaderLockName(options.name), pending, unsubscribe };
      channel.post({ kind: 'hello', from: this.#tabId });
      await pending.refresh();
      const status = this.status();
      this.#shown.page = JSON.stringify(status);
      return { version: SDK_VERSION, instanceId: replica.instanceId, status };
    } finally {
      this.#connecting = false;
    }
  }

  #tokenSource(options: WorkerConnectOptions, getToken: WorkerTokenSource | undefined): (() => Promise<string | undefined>) | undefined {
    if (options.hasGetToken === true && getToken !== undefined) {
      return async () => (await getToken()) ?? undefined;
    }
    const { token } = options;
    if (token !== undefined) return async () => token;
    return undefined;
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
    const connection = this.#connection;
    if (connection === undefined) throw notConnected(what);
    return connection.replica;
  }

  // ---- lifecycle ----

  /**
   * Joins the sync. If no tab leads, this one becomes the leader and starts the loop;
   * it resolves once the first handshake is done, or has failed for a reason a retry
   * may fix (offline, server down: status says so and it retries). Otherwise the tab
   * queues for the lock and resolves at once. Fails `ALREADY_STARTED` when started.
   */
  async start(): Promise<void> {
    const connection = this.#connected('start');
    if (this.#wantSync) {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'start(): sync is already started in this tab; call stop() first');
    }
    this.#wantSync = true;
    this.#finalFailure = undefined;
    this.#unwatchLeader(); // from now on this tab waits in line, or leads
    const lock = await acquireLock(this.#locks, connection.lockName, { ifAvailable: true });
    if (lock !== undefined) {
      await this.#becomeLeader(lock, { reportFinal: true });
      return;
    }
    this.#waitForLeadership(connection);
    this.#shareStatus();
  }

  /** Leaves the sync; a leading tab stops its loop and hands the lock to the next tab. */
  async stop(): Promise<void> {
    this.#connected('stop');
    this.#wantSync = false;
    await this.#resign();
    this.#shareStatus();
    this.#watchLeader(); // another tab may lead now, or nobody
  }

  /** One cycle: here if this tab leads or nobody does, else by the leader. */
  async syncOnce(): Promise<void> {
    await this.#leaderCall('syncOnce');
  }

  /** The initial catch-up: here if this tab leads or nobody does, else by the leader. */
  async initialSync(): Promise<SyncProgress> {
    const result = await this.#leaderCall('initialSync');
    return result ?? { batch: 0, totalPulled: 0, hasMore: false, total: 0 };
  }

  /** The page saw the network come back: a leader waiting out a backoff retries now. */
  networkBack(): void {
    this.#onOnline(true);
  }

  /**
   * The leader's status if this tab leads, else the last one the leader shared (`idle`
   * once no tab leads). While the app wants sync (between start() and stop()) `running`
   * is true, in a follower tab too, and in a leader still retrying its first handshake.
   * `pending` is this tab's own count of the replica's change log, in every tab.
   */
  status(): SyncStatus {
    const lead = this.#lead?.manager.status();
    let status: SyncStatus;
    if (lead === undefined && this.#finalFailure !== undefined) {
      status = { ...this.#leaderStatus, state: 'error', running: false, error: this.#finalFailure };
    } else {
      const base = lead ?? this.#leaderStatus;
      status = this.#wantSync && !base.running ? { ...base, running: true } : base;
    }
    const pending = this.#connection?.pending.value;
    return pending === undefined || pending === status.pending ? status : { ...status, pending };
  }

  /** Stops, leaves the tabs, closes the replica. The connection is over. */
  async close(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#wantSync = false;
    this.#unwatchLeader();
    try {
      await this.#resign();
    } finally {
      for (const id of [...this.#pending.keys()]) {
        const call = this.#takePending(id);
        call?.reject(new SyncError(ErrorCode.SHUTDOWN, `${call.method}(): the sync client was closed before the leader tab answered`));
      }
      this.#connection = undefined;
      for (const off of connection.unsubscribe) off();
      connection.channel.close();
      connection.replica.close();
    }
  }

  #connected(what: string): Connection {
    if (this.#connection === undefined) throw notConnected(what);
    return this.#connection;
  }

  // ---- leadership ----

  #waitForLeadership(connection: Connection): void {
    const queue = new AbortController();
    this.#queue = queue;
    void acquireLock(this.#locks, connection.lockName, { signal: queue.signal }).then(async (lock) => {
      if (lock === undefined) return;
      if (this.#queue === queue) this.#queue = undefined;
      try {
        await this.#becomeLeader(lock, { reportFinal: false });
      } catch (error) {
        this.#publish({ type: 'error', payload: SyncError.from(error).toJSON() });
      }
    });
  }

  async #becomeLeader(lock: HeldLock, options: { reportFinal: boolean }): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined || !this.#wantSync || this.#lead !== undefined) {
      lock.release();
      return;
    }
    const manager = this.#newManager(connection, 'leader');
    const off = manager.on('error', (error) => {
      // Our database connection is gone for good (another tab upgrades or deletes it):
      // a leader that cannot write must let a tab that can take over.
      if (error.code !== ErrorCode.DATABASE_CLOSED) return;
      this.#wantSync = false;
      this.#finalFailure = error;
      void this.#resign()
        .catch(() => undefined) // the manager's stop failed: it is stopped all the same
        .finally(() => this.#shareStatus());
    });
    this.#lead = { lock, manager, off };
    this.#restartBackoff = new Backoff(manager.config.retry);
    connection.channel.post({ kind: 'leader', from: this.#tabId });
    this.#shown.tabs = ''; // a new leader: the other tabs hear its status whatever they heard before
    this.#shareStatus();
    this.#runPendingHere(manager);
    try {
      await this.#startManager(manager);
    } catch (error) {
      const failure = await this.#giveUp(error);
      if (options.reportFinal) throw error;
      // A tab taking over cannot throw to anyone: status and the error event say why.
      this.#publish({ type: 'error', payload: failure });
    }
  }

  /**
   * A final refusal (bad token, protocol version, …): stop wanting to sync and free the
   * lock, so this tab never sits on it with a manager that will not run.
   */
  async #giveUp(error: unknown): Promise<SyncErrorData> {
    const failure = SyncError.from(error).toJSON();
    this.#wantSync = false;
    await this.#resign();
    this.#finalFailure = failure;
    this.#shareStatus();
    return failure;
  }

  /**
   * Starts the manager; a failure a retry may fix (offline, server down, rate limited)
   * is retried on the engine's backoff schedule and at once when the device comes
   * online. Rejects only with a final failure (see {@link FINAL_START_CODES}).
   */
  async #startManager(manager: SyncManager): Promise<void> {
    try {
      await manager.start();
      this.#restartBackoff?.reset();
    } catch (error) {
      const failure = SyncError.from(error);
      if (this.#lead?.manager !== manager) return; // stopped meanwhile
      if (failure.code === ErrorCode.ALREADY_STARTED) return;
      if (FINAL_START_CODES.has(failure.code)) throw failure;
      const retry = this.#restartBackoff?.fail(failure);
      this.#cancelRestart();
      // Offline, only the `online` event ends the wait: no point knocking meanwhile.
      this.#restart = this.#online.isOnline()
        ? { manager, timer: setTimeout(() => this.#restartNow(manager), retry?.nextDelayMs ?? 1000) }
        : { manager };
    }
  }

  #cancelRestart(): void {
    clearTimeout(this.#restart?.timer);
    this.#restart = undefined;
  }

  #restartNow(manager: SyncManager): void {
    this.#cancelRestart();
    if (this.#lead?.manager !== manager || manager.status().running) return;
    this.#startManager(manager).catch(async (error: unknown) => this.#publish({ type: 'error', payload: await this.#giveUp(error) }));
  }

  /** Stops leading (if this tab leads) and leaves the queue for the lock. */
  async #resign(): Promise<void> {
    this.#queue?.abort();
    this.#queue = undefined;
    this.#cancelRestart();
    const lead = this.#lead;
    if (lead === undefined) return;
    try {
      await lead.manager.stop();
    } finally {
      lead.off();
      if (this.#lead === lead) {
        this.#lead = undefined;
        // What this tab shows until another leader speaks: its own last word, stopped.
        this.#leaderStatus = { ...lead.manager.status(), running: false };
      }
      lead.lock.release();
    }
  }

  /**
   * A tab that neither leads nor waits in line watches the leader's lock by queueing for
   * it: the lock comes here only once no tab holds it (the leader stopped, closed or
   * crashed — the browser frees a dead worker's locks — and no follower took over). It
   * passes the lock straight on and shows `idle`. A tab that waits to lead needs no
   * watch: the lock then makes it the leader. Watching starts again when a leader speaks.
   */
  #watchLeader(): void {
    const connection = this.#connection;
    if (connection === undefined || this.#lead !== undefined || this.#queue !== undefined || this.#watch !== undefined) return;
    if (isSoloLocks(this.#locks)) return; // every tab leads alone: nothing to watch
    const watch = new AbortController();
    this.#watch = watch;
    void acquireLock(this.#locks, connection.lockName, { signal: watch.signal }).then((lock) => {
      lock?.release(); // never ours to keep: the next tab in line gets it at once
      if (lock === undefined || this.#watch !== watch) return;
      this.#watch = undefined;
      if (this.#connection !== connection || this.#lead !== undefined) return;
      const { lastSyncedAt } = this.#leaderStatus;
      this.#leaderStatus = { ...IDLE_STATUS, lastSyncedAt };
      this.#shareStatus();
    });
  }

  #unwatchLeader(): void {
    this.#watch?.abort();
    this.#watch = undefined;
  }

  /**
   * A manager whose status, progress, conflict and error events go to every tab (its
   * `change` events are the replica's, published already). The leader's status is
   * this tab's {@link status}; a manager made for one call reports its own.
   */
  #newManager(connection: Connection, role: 'leader' | 'one-call'): SyncManager {
    const manager = new SyncManager(connection.replica, connection.transport, connection.config);
    manager.setOnline(this.#online.isOnline());
    const forward = <K extends Exclude<keyof SyncEventMap, 'change'>>(type: K): void => {
      manager.on(type, (payload) => this.#publish({ type, payload } as WorkerEvent));
    };
    manager.on('status', (status) => {
      if (role === 'one-call') {
        const pending = connection.pending.value;
        this.#publish({ type: 'status', payload: pending === undefined ? status : { ...status, pending } });
      } else if (this.#lead === undefined || this.#lead.manager === manager) {
        // Not while a later leader term runs: a stopped manager may still report late.
        this.#shareStatusCounted(status.pending);
      }
    });
    forward('progress');
    forward('conflict');
    forward('error');
    return manager;
  }

  #onOnline(online: boolean): void {
    const lead = this.#lead;
    if (lead === undefined) return;
    lead.manager.setOnline(online);
    if (online && this.#restart?.manager === lead.manager) this.#restartNow(lead.manager);
  }

  // ---- calls that need the leader ----

  async #leaderCall(method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const connection = this.#connected(method);
    const lead = this.#lead;
    if (lead !== undefined) return runOn(lead.manager, method);
    // Nobody leads? Then take the lock for just this call.
    const lock = await acquireLock(this.#locks, connection.lockName, { ifAvailable: true });
    if (lock !== undefined) {
      try {
        return await this.#runWithTemporaryManager(connection, method);
      } finally {
        lock.release();
      }
    }
    return this.#forward(connection, method);
  }

  async #runWithTemporaryManager(connection: Connection, method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const manager = this.#newManager(connection, 'one-call');
    try {
      return await runOn(manager, method);
    } finally {
      await manager.stop();
    }
  }

  /**
   * Asks the leader to run `method`. As a backstop, this tab also queues for the lock:
   * if the leader goes away before answering, the lock comes here and the call runs
   * here. A new leader re-receives the calls still waiting.
   */
  #forward(connection: Connection, method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const id = randomId();
    return new Promise((resolve, reject) => {
      const backstop = new AbortController();
      this.#pending.set(id, { method, resolve, reject, backstop });
      this.#postCall(connection, id);
      void acquireLock(this.#locks, connection.lockName, { signal: backstop.signal }).then(async (lock) => {
        if (lock === undefined) return;
        try {
          const call = this.#connection === connection ? this.#takePending(id) : undefined;
          if (call !== undefined) await this.#runWithTemporaryManager(connection, method).then(call.resolve, call.reject);
        } finally {
          lock.release();
        }
      });
    });
  }

  /** (Re)sends a waiting call to whichever tab leads, and starts waiting for it to be taken. */
  #postCall(connection: Connection, id: string): void {
    const call = this.#pending.get(id);
    if (call === undefined) return;
    clearTimeout(call.answerTimer);
    const timeoutMs = this.#options.leaderAnswerTimeoutMs ?? DEFAULT_LEADER_ANSWER_TIMEOUT_MS;
    call.answerTimer = setTimeout(() => {
      this.#takePending(id)?.reject(
        new SyncError(
          ErrorCode.TIMEOUT,
          `${call.method}(): the tab that leads sync did not take the call within ${timeoutMs} ms. It may run another version of this app (reload the other tabs) or be frozen in the background.`,
          { details: { timeoutMs } },
        ),
      );
    }, timeoutMs);
    connection.channel.post({ kind: 'call', from: this.#tabId, id, method: call.method });
  }

  /** Removes a waiting call, stopping its backstop and timer; undefined if already settled. */
  #takePending(id: string): PendingCall | undefined {
    const call = this.#pending.get(id);
    if (call === undefined) return undefined;
    this.#pending.delete(id);
    call.backstop.abort();
    clearTimeout(call.answerTimer);
    return call;
  }

  /** This tab just became the leader: calls it forwarded run here now. */
  #runPendingHere(manager: SyncManager): void {
    for (const id of [...this.#pending.keys()]) {
      const call = this.#takePending(id);
      if (call !== undefined) runOn(manager, call.method).then(call.resolve, call.reject);
    }
  }

  // ---- tabs ----

  /** Delivers an event to this tab's page and to every other tab. */
  #publish(event: WorkerEvent): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#deliver(connection, event);
    connection.channel.post({ kind: 'event', from: this.#tabId, event });
  }

  #deliver(connection: Connection, event: WorkerEvent): void {
    try {
      // A Comlink proxy call: returns a promise, rejected once the page is gone.
      Promise.resolve(connection.sink(event)).catch(() => undefined);
    } catch {
      // The page side is gone; nothing to tell.
    }
  }

  /**
   * Sends the current {@link status} to this tab's page if it changed; a leader tells the
   * other tabs too.
   */
  #shareStatus(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const status = this.status();
    const json = JSON.stringify(status);
    if (this.#lead !== undefined && json !== this.#shown.tabs) {
      this.#shown.tabs = json;
      connection.channel.post({ kind: 'event', from: this.#tabId, event: { type: 'status', payload: status } });
    }
    if (json === this.#shown.page) return;
    this.#shown.page = json;
    this.#deliver(connection, { type: 'status', payload: status });
  }

  /**
   * Shares a status heard from an engine (ours, or the leader's over the channel). If its
   * pending count differs from ours, one of us is behind: count again first, so the
   * status shown is the new state with the current count.
   */
  #shareStatusCounted(heardPending: number): void {
    const pending = this.#connection?.pending;
    if (pending === undefined || pending.value === heardPending) this.#shareStatus();
    else void pending.refresh().then(() => this.#shareStatus());
  }

  #onTabMessage(message: TabMessage): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    switch (message.kind) {
      case 'event': {
        const { event } = message;
        if (event.type === 'status') {
          if (this.#lead !== undefined) return; // only one leader's status counts: ours
          this.#leaderStatus = event.payload;
          this.#watchLeader();
          this.#shareStatusCounted(event.payload.pending);
          return;
        }
        if (event.type === 'change' && event.payload.source === 'local') {
          // Another tab wrote: the change log grew. As leader, push it now rather than at the next interval.
          void connection.pending.refresh();
          this.#lead?.manager.requestPush();
        }
        this.#deliver(connection, event);
        return;
      }
      case 'hello':
        if (this.#lead !== undefined) {
          connection.channel.post({ kind: 'event', from: this.#tabId, event: { type: 'status', payload: this.status() } });
        }
        return;
      case 'leader':
        for (const id of [...this.#pending.keys()]) this.#postCall(connection, id);
        this.#watchLeader();
        return;
      case 'call': {
        const lead = this.#lead;
        if (lead === undefined) return; // not ours to answer; the caller's backstop covers a gap
        connection.channel.post({ kind: 'accepted', from: this.#tabId, to: message.from, id: message.id });
        const reply = (fields: { result?: SyncProgress; error?: SyncErrorData }): void =>
          connection.channel.post({ kind: 'reply', from: this.#tabId, to: message.from, id: message.id, ...fields });
        runOn(lead.manager, message.method).then(
          (result) => reply(result === undefined ? {} : { result }),
          (error: unknown) => reply({ error: SyncError.from(error).toJSON() }),
        );
        return;
      }
      case 'accepted': {
        const call = message.to === this.#tabId ? this.#pending.get(message.id) : undefined;
        if (call !== undefined) clearTimeout(call.answerTimer);
        return;
      }
      case 'reply': {
        if (message.to !== this.#tabId) return;
        const call = this.#takePending(message.id);
        if (call === undefined) return;
        if (message.error !== undefined) call.reject(SyncError.from(message.error));
        else call.resolve(message.result);
        return;
      }
    }
  }
}

function runOn(manager: SyncManager, method: ForwardedMethod): Promise<SyncProgress | undefined> {
  return method === 'syncOnce' ? manager.syncOnce().then(() => undefined) : manager.initialSync();
}
