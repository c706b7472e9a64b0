/**
 * The sync engine of a replica: PulseDB's `SyncManager`, ported. It runs sync in the
 * background (`background-loops.ts`: connect, then push and pull, each on its own
 * interval, with backoff after failures) and offers `syncOnce` and `initialSync` for
 * explicit runs. Every network run goes through one queue, so a manual run never
 * overlaps a background one. The store's lifetime belongs to the caller: the manager
 * never closes it.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { ChangeEvent, LocalStore } from '../store/types.ts';
import type { SyncTransport } from '../transport/types.ts';
import { EventEmitter } from '../events/event-emitter.ts';
import { CatchUp } from './catch-up.ts';
import { BackgroundLoops, type LoopSteps } from './background-loops.ts';
import { validateConfig } from './config.ts';
import { PendingCount } from './pending-count.ts';
import { pullUntilCaughtUp } from './pull.ts';
import { PushDemand } from './push-demand.ts';
import { fullCycle, pushCycle } from './push-then-pull.ts';
import { RunQueue, type RunOptions } from './run-queue.ts';
import type { SyncContext } from './sync-context.ts';
import { SyncStatusBook, type Lifecycle, type RunKind } from './sync-status.ts';
import { timersOf, type TimeSource, type Timers } from './timers.ts';
import type { SyncConfig, SyncConfigInput, SyncEngine, SyncEventMap, SyncEventName } from './types.ts';

/** Injected globals (so tests can fake time), and the host's pending count. */
export interface SyncManagerOptions extends TimeSource {
  /**
   * The pending count this manager shows and refreshes after its pushes. A host that
   * counts already (the worker, one count per tab) lends its own. Default: the manager
   * counts for itself.
   */
  readonly pendingCount?: PendingCount;
}

/**
 * Keeps one {@link LocalStore} in step with a server through a {@link SyncTransport}.
 *
 * What a host (the Web Worker of the leader tab, say) drives it with:
 * - lifecycle: `start()`, `stop()`, `syncOnce()`, `initialSync(onProgress)`;
 * - `setOnline(online)`: feed it `navigator.onLine` and the `online`/`offline` events;
 *   offline pauses the loops (status `disconnected`) without burning retries;
 * - `requestPush()`: a write was made where this manager cannot see it (another tab's
 *   store object): push soon. Writes through the manager's own store object ask by
 *   themselves. `requestPull()`: a nudge to pull now (a poke relayed from elsewhere);
 * - events (`on(name, listener)` returns the unsubscribe): `status` (state `idle` |
 *   `syncing` | `error` | `disconnected`, `pending`, `lastSyncedAt`, `cursors`, `error`,
 *   `retry`; emitted only when something a user could see changed: see
 *   `sync-status.ts`), `progress` (the catch-up, after each batch), `change` (the
 *   store's own events: committed through this manager's store object, `local`, or
 *   `remote` from sync), `conflict` (settled, with the outcome and why), `ack` (the
 *   server dealt with a range of seqs: which were refused, and why) and `error` (a
 *   failed run or a change the server refused; the run's own failure also shows in
 *   `status`).
 *
 * Idle with the live channel up it is quiet: it pushes only what is pending, pulls on
 * pokes and on a slow safety poll, and shows neither as `syncing`.
 *
 * @example
 * const manager = new SyncManager(replica, memoryTransport(server), { batchSize: 200 });
 * manager.on('status', (s) => render(s));
 * manager.on('progress', (p) => showProgress(p.totalPulled / p.total));
 * await manager.start(); // catches up, then pushes and pulls in the background
 */
export class SyncManager implements SyncEngine {
  /** The checked configuration, defaults filled in. */
  readonly config: SyncConfig;
  readonly #store: LocalStore;
  readonly #transport: SyncTransport;
  readonly #timers: Timers;
  readonly #events = new EventEmitter<SyncEventMap>();
  readonly #pending: PendingCount;
  readonly #ownsPending: boolean;
  readonly #book: SyncStatusBook;
  /** Unsubscribes what this manager listens to (its store, the pending count, `change` listeners). */
  readonly #listening = new Set<() => void>();
  readonly #runs: RunQueue;
  readonly #pushDemand: PushDemand;
  #lifecycle: Lifecycle = 'new';
  /** The loops of the current start (none before the first). */
  #loops: BackgroundLoops | undefined;
  /** Settles the promise of `start()`: after the first connect attempt, or at once offline. */
  #started: { resolve(): void; reject(error: unknown): void } | undefined;
  readonly #catchUp = new CatchUp({
    run: (kind, body) => this.#run(kind, body),
    emit: (progress) => this.#events.emit('progress', progress),
    listen: (listener) => this.#events.on('progress', listener),
  });

  /** Throws `INVALID_CONFIG` when `config` is not valid (see `validateConfig`). */
  constructor(store: LocalStore, transport: SyncTransport, config: SyncConfigInput = {}, options: SyncManagerOptions = {}) {
    this.config = validateConfig(config);
    this.#store = store;
    this.#transport = transport;
    this.#timers = timersOf(options);
    this.#ownsPending = options.pendingCount === undefined;
    this.#pending = options.pendingCount ?? new PendingCount(store);
    this.#pushDemand = new PushDemand(this.#pending, { now: this.#timers.now, safetyEveryMs: this.config.livePullIntervalMs });
    this.#book = new SyncStatusBook({
      lifecycle: () => this.#lifecycle,
      pending: () => this.#pending.value ?? 0,
      now: this.#timers.now,
      emit: (status) => this.#events.emit('status', status),
      emitError: (error) => this.#events.emit('error', error),
    });
    this.#runs = new RunQueue({
      store,
      transport,
      config: this.config,
      book: this.#book,
      stopped: () => this.#lifecycle === 'stopped',
      shutdownError: (what) => this.#shutdownError(what),
      report: {
        onConflict: (conflict) => this.#events.emit('conflict', conflict),
        onError: (error) => this.#events.emit('error', error),
        onReset: (event) => this.#events.emit('reset', event),
        onAck: (ack) => this.#events.emit('ack', ack),
      },
    });
    this.#listen(
      store.subscribe((event) => {
        if (event.source === 'local') this.requestPush();
      }),
    );
    this.#listen(this.#pending.onChange(() => this.#book.report()));
    if (this.#ownsPending) void this.#pending.refresh();
  }

  // ---- lifecycle ----

  /**
   * Runs sync in the background: the connect loop shakes hands (retrying on the backoff
   * schedule, and at once when the device comes back online), then the push and pull
   * loops run, each on its own interval, the pull loop's first cycles catching up with
   * progress events; and it listens to the transport's live channel if it has one.
   *
   * Resolves after the first handshake attempt (at once when offline): the status then
   * says how it went. Rejects only when the server refuses for good (`UNAUTHORIZED`,
   * `FORBIDDEN`, `PROTOCOL_VERSION`, `HANDSHAKE_REJECTED`); nothing runs then, and
   * `start()` may be called again. A refusal on a later attempt stops the same way,
   * told by status (`running: false`) and an `error` event. Fails `ALREADY_STARTED`
   * when running, `SHUTDOWN` after `stop()` (or when `stop()` comes first).
   */
  async start(): Promise<void> {
    if (this.#lifecycle === 'running') {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'SyncManager.start(): already running; stop() first');
    }
    if (this.#lifecycle === 'stopped') throw this.#shutdownError('start');
    this.#lifecycle = 'running';
    this.#runs.forgetSession(); // every start shakes hands anew
    this.#catchUp.reset();
    const started = new Promise<void>((resolve, reject) => {
      this.#started = { resolve, reject };
    });
    const offline = !this.#book.online;
    this.#pushDemand.ask(); // a new start pushes what waits, whatever was asked before
    this.#loops = new BackgroundLoops(this.#loopSteps(), { config: this.config, timers: this.#timers, transport: this.#transport });
    this.#loops.start(offline);
    if (offline) this.#settleStart(); // nothing to wait for: status says disconnected
    this.#book.report();
    return started;
  }

  /**
   * Stops gracefully: no new cycle starts, the one in flight ends after its current
   * batch, timers are cleared and the live channel closed. Resolves when all of that
   * is done; status is then `idle` and `running: false`. Safe to call twice. Later
   * calls that need the network fail `SHUTDOWN`.
   */
  async stop(): Promise<void> {
    this.#lifecycle = 'stopped';
    const started = this.#started;
    this.#started = undefined;
    started?.reject(this.#shutdownError('start'));
    for (const off of [...this.#listening]) off();
    if (this.#ownsPending) this.#pending.close();
    await Promise.all([this.#loops?.close(), this.#runs.idle].map((p) => p?.catch(() => undefined)));
    await this.#runs.flushFacts();
    this.#book.forget();
    this.#book.report();
  }

  /**
   * One push + pull cycle, handshaking first if needed: pushes until the change log is
   * drained, then pulls until caught up (only the directions configured). Waits for a
   * background cycle in flight rather than overlapping it. Rejects with the SyncError.
   */
  syncOnce(): Promise<void> {
    if (this.#lifecycle === 'stopped') return Promise.reject(this.#shutdownError('syncOnce'));
    return this.#run('manual', async (ctx) => {
      await fullCycle(ctx);
      await this.#pending.refresh();
    });
  }

  /**
   * Catches up with the server in batches, each saved with its cursor, reporting
   * progress after each (to `onProgress` and as `progress` events). If it is cut short
   * the next call resumes from the last saved batch. While a catch-up runs (the one
   * `start()` began, say) this joins it rather than pulling twice; its failure rejects
   * this call but stops no loop. A push-only manager pulls nothing and resolves with an
   * empty progress.
   */
  initialSync(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    if (this.#lifecycle === 'stopped') return Promise.reject(this.#shutdownError('initialSync'));
    return this.#catchUp.join('manual', onProgress);
  }

  /** Asks for a push soon (a write in another tab, say). Ignored unless running. */
  requestPush(): void {
    this.#pushDemand.ask();
    this.#loops?.requestPush();
  }

  /** Asks for a pull soon (a live poke, a nudge from another tab). Ignored unless running. */
  requestPull(): void {
    this.#loops?.requestPull();
  }

  /**
   * Tells the engine whether the device is online (`navigator.onLine` and its events).
   * Offline: status `disconnected`, the loops pause and failures burn no retries.
   * Online: the loops forget past failures and run at once.
   */
  setOnline(online: boolean): void {
    // "Online" while already online still means the network came back (a platform that
    // only saw the return, such as a Chromium worker reading navigator.onLine): a
    // backoff after failures is cut short, as when coming out of offline.
    if (online === this.#book.online && !(online && this.#book.hasFailures())) return;
    this.#book.online = online;
    if (online) {
      this.#book.forget('connect', 'push', 'pull');
      this.#loops?.resume();
    } else {
      this.#loops?.pause();
      this.#settleStart(); // nothing to wait for while offline
    }
    this.#book.report();
  }

  // ---- status and events ----

  /** The current status. */
  status(): SyncStatus {
    return this.#book.status();
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends SyncEventName>(event: K, listener: (payload: SyncEventMap[K]) => void): () => void {
    if (event !== 'change') return this.#events.on(event, listener);
    // One route for changes: the store's own events, not a copy re-emitted by the manager.
    if (this.#lifecycle === 'stopped') return () => undefined;
    return this.#listen(this.#store.subscribe(listener as (payload: ChangeEvent) => void));
  }

  // ---- runs ----

  /** What the loops of a start run, and how their outcomes show. */
  #loopSteps(): LoopSteps {
    return {
      run: (kind) => {
        if (kind === 'connect') return this.#run('connect', async () => undefined);
        return kind === 'push' ? this.#pushRun() : this.#pullRun();
      },
      onFailure: (kind, error, retry) => {
        this.#book.fail(kind, error, retry);
        if (kind === 'connect') this.#settleStart(); // resolved: status says why, the loop retries
      },
      onConnected: () => {
        this.#settleStart();
        this.#book.report();
      },
      onRefused: (error) => {
        // Taken first: a status listener may stop() this manager, which must not turn
        // start()'s refusal into SHUTDOWN.
        const started = this.#started;
        this.#started = undefined;
        this.#lifecycle = 'new'; // start() may be called again (a fresh token, say)
        this.#book.fail('connect', error); // status says `running: false` before start() rejects
        started?.reject(error);
      },
    };
  }

  #settleStart(): void {
    const started = this.#started;
    this.#started = undefined;
    started?.resolve();
  }

  /** A push cycle: a run when something is pending or was asked for (`push-demand.ts`). */
  #pushRun(): Promise<void> {
    return this.#pushDemand.run(() =>
      this.#run('push', async (ctx) => {
        await pushCycle(ctx, () => this.requestPull());
        await this.#pending.refresh();
      }),
    );
  }

  /**
   * Until the catch-up of this start has gone through, a pull cycle is that catch-up.
   * After it, a pull (a poll, a poke's) is quiet: no `syncing` for a pull that may well
   * bring nothing; what it brings shows as changes and moved cursors.
   */
  #pullRun(): Promise<unknown> {
    if (!this.#catchUp.done) return this.#catchUp.join('pull');
    return this.#run('pull', (ctx) => pullUntilCaughtUp(ctx), { quiet: true });
  }

  /** A run through the queue; one that gets through while the connect loop waits connects it now. */
  async #run<T>(kind: RunKind, body: (ctx: SyncContext) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const result = await this.#runs.run(kind, body, options);
    if (kind !== 'connect') this.#loops?.connectNow();
    return result;
  }

  /** Keeps `off` until stop() (or until called); returns it. */
  #listen(off: () => void): () => void {
    const once = (): void => {
      this.#listening.delete(once);
      off();
    };
    this.#listening.add(once);
    return once;
  }

  #shutdownError(what: string): SyncError {
    return new SyncError(ErrorCode.SHUTDOWN, `SyncManager.${what}: stopped; make a new SyncManager`);
  }
}
