/**
 * The sync engine of a replica: PulseDB's `SyncManager`, ported. It shakes hands with
 * the server, then pushes and pulls in the background (each on its own interval, with
 * backoff after failures), and offers `syncOnce` and `initialSync` for explicit runs.
 * Every network run goes through one queue, so a manual run never overlaps a
 * background one. The store's lifetime belongs to the caller: the manager never
 * closes it.
 */
import { ErrorCode, SyncError, isSyncError, type SyncErrorData } from '../protocol/errors.ts';
import type { SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';
import type { SyncTransport } from '../transport/types.ts';
import type { RetryState } from './backoff.ts';
import { validateConfig } from './config.ts';
import { EventEmitter } from '../events/event-emitter.ts';
import { handshake, type SyncSession } from './handshake.ts';
import { peerKey } from './peer-key.ts';
import { initialPull, pullUntilCaughtUp } from './pull.ts';
import { pushPending } from './push.ts';
import { pushThenPull } from './push-then-pull.ts';
import type { SyncContext } from './sync-context.ts';
import { SyncLoop, type TimerFunctions } from './sync-loop.ts';
import type { SyncConfig, SyncConfigInput, SyncEngine, SyncEventMap, SyncEventName } from './types.ts';

/** Injected globals, so tests can fake time. */
export interface SyncManagerOptions {
  /** Wall clock for `lastSyncedAt`. Default `Date.now`. */
  now?(): number;
  /** Default `globalThis.setTimeout` (looked up at each call, so fake timers apply). */
  setTimeout?(callback: () => void, ms: number): unknown;
  /** Receives what `setTimeout` returned. Default `globalThis.clearTimeout`. */
  clearTimeout?(handle: unknown): void;
}

/** Which run a failure came from. */
type RunKind = 'push' | 'pull' | 'manual';

interface Failure {
  readonly error: SyncErrorData;
  readonly retry?: RetryState;
}

/** Errors that mean "can't reach the server" rather than "the server said no". */
const DISCONNECTED_CODES: ReadonlySet<string> = new Set([ErrorCode.TRANSPORT, ErrorCode.TIMEOUT]);

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
 *   `syncing` | `error` | `disconnected`, `pending`, `lastSyncedAt`, `error`, `retry`;
 *   emitted only when it changed), `progress` (initial sync, after each batch),
 *   `change` (committed through this manager's store object: `local`, or `remote` from
 *   sync), `conflict` (settled, with the outcome and why) and `error` (a failed run or a
 *   change the server refused; the run's own failure also shows in `status`).
 *
 * @example
 * const manager = new SyncManager(replica, memoryTransport(server), { batchSize: 200 });
 * manager.on('status', (s) => render(s));
 * await manager.initialSync((p) => showProgress(p.totalPulled / p.total));
 * await manager.start();
 */
export class SyncManager implements SyncEngine {
  /** The checked configuration, defaults filled in. */
  readonly config: SyncConfig;
  readonly #store: LocalStore;
  readonly #transport: SyncTransport;
  readonly #now: () => number;
  readonly #timers: TimerFunctions;
  readonly #events = new EventEmitter<SyncEventMap>();
  #session: SyncSession | undefined;
  #lifecycle: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  /** Tail of the queue every network run goes through. */
  #queue: Promise<unknown> = Promise.resolve();
  #loops: { push?: SyncLoop; pull?: SyncLoop } = {};
  #closeLive: (() => void) | undefined;
  #unsubscribeStore: (() => void) | undefined;
  #online = true;
  #inFlight = 0;
  readonly #failures = new Map<RunKind, Failure>();
  #pending = 0;
  #counting = false;
  #countAgain = false;
  #lastSyncedAt: number | null = null;
  #lastStatus = '';

  /** Throws `INVALID_CONFIG` when `config` is not valid (see `validateConfig`). */
  constructor(store: LocalStore, transport: SyncTransport, config: SyncConfigInput = {}, options: SyncManagerOptions = {}) {
    this.config = validateConfig(config);
    this.#store = store;
    this.#transport = transport;
    this.#now = options.now?.bind(options) ?? (() => Date.now());
    this.#timers = {
      setTimeout: options.setTimeout?.bind(options) ?? ((callback, ms) => globalThis.setTimeout(callback, ms)),
      clearTimeout:
        options.clearTimeout?.bind(options) ??
        ((handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0])),
    };
    this.#unsubscribeStore = store.subscribe((event) => {
      this.#events.emit('change', event);
      if (event.source === 'local') {
        this.#refreshPending();
        this.requestPush();
      }
    });
    this.#lastStatus = JSON.stringify(this.status());
    this.#refreshPending();
  }

  // ---- lifecycle ----

  /**
   * Shakes hands, then runs push and pull in the background, each on its own interval
   * (the first runs at once), and listens to the transport's live channel if it has
   * one. Fails `ALREADY_STARTED` when already started, `SHUTDOWN` after `stop()`, and
   * with the handshake's error (`HANDSHAKE_REJECTED`, `PROTOCOL_VERSION`, `TRANSPORT`…),
   * in which case nothing runs.
   */
  async start(): Promise<void> {
    if (this.#lifecycle === 'starting' || this.#lifecycle === 'running') {
      throw new SyncError(ErrorCode.ALREADY_STARTED, 'SyncManager.start(): sync is already running; call stop() first');
    }
    if (this.#lifecycle === 'stopped') throw this.#shutdownError('start');
    this.#lifecycle = 'starting';
    try {
      await this.#exclusive('manual', async () => undefined, { handshake: 'always' });
    } catch (error) {
      if (this.#lifecycle === 'starting') this.#lifecycle = 'new';
      throw error;
    }
    if (this.#lifecycle !== 'starting') throw this.#shutdownError('start'); // stop() came first
    this.#lifecycle = 'running';
    const { direction, pushIntervalMs, pullIntervalMs } = this.config;
    if (direction !== 'pull-only') {
      this.#loops.push = this.#makeLoop('push', pushIntervalMs, () => this.#pushRun());
    }
    if (direction !== 'push-only') {
      this.#loops.pull = this.#makeLoop('pull', pullIntervalMs, () => this.#pullRun());
    }
    if (this.#online) {
      this.#loops.push?.start();
      this.#loops.pull?.start();
    }
    if (this.#transport.live !== undefined && this.#loops.pull !== undefined) {
      this.#closeLive = this.#transport.live({
        onPoke: () => this.requestPull(),
        // Back after a drop: catch up on what was missed. While it is down, the
        // interval loop carries on as before.
        onState: (connected) => {
          if (connected) this.requestPull();
        },
      });
    }
    this.#emitStatus();
  }

  /**
   * Stops gracefully: no new cycle starts, the one in flight ends after its current
   * batch, timers are cleared and the live channel closed. Resolves when all of that
   * is done; status is then `idle` and `running: false`. Safe to call twice. Later
   * calls that need the network fail `SHUTDOWN`.
   */
  async stop(): Promise<void> {
    this.#lifecycle = 'stopped';
    this.#closeLive?.();
    this.#closeLive = undefined;
    this.#unsubscribeStore?.();
    this.#unsubscribeStore = undefined;
    const inFlight = [this.#loops.push?.close(), this.#loops.pull?.close(), this.#queue];
    await Promise.all(inFlight.map((p) => p?.catch(() => undefined)));
    this.#failures.clear();
    this.#emitStatus();
  }

  /**
   * One push + pull cycle, handshaking first if needed: pushes until the change log is
   * drained, then pulls until caught up (only the directions configured). Waits for a
   * background cycle in flight rather than overlapping it. Rejects with the SyncError.
   */
  syncOnce(): Promise<void> {
    if (this.#lifecycle === 'stopped') return Promise.reject(this.#shutdownError('syncOnce'));
    return this.#exclusive('manual', async (ctx) => {
      const { direction } = this.config;
      if (direction === 'bidirectional') await pushThenPull(ctx, { when: 'always' });
      else if (direction === 'push-only') await pushPending(ctx);
      else await pullUntilCaughtUp(ctx);
      await this.#countPending();
    });
  }

  /**
   * Catches up with the server in batches, each saved with its cursor, reporting
   * progress after each (to `onProgress` and as `progress` events). If it is cut short
   * the next call resumes from the last saved batch. A push-only manager pulls nothing
   * and resolves with an empty progress.
   */
  initialSync(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    if (this.#lifecycle === 'stopped') return Promise.reject(this.#shutdownError('initialSync'));
    return this.#exclusive('manual', async (ctx) => {
      if (this.config.direction === 'push-only') return { batch: 0, totalPulled: 0, hasMore: false, total: 0 };
      return initialPull(ctx, (progress) => {
        onProgress?.(progress);
        this.#events.emit('progress', progress);
      });
    });
  }

  /** Asks for a push soon (a write in another tab, say). Ignored unless running. */
  requestPush(): void {
    this.#loops.push?.request();
  }

  /** Asks for a pull soon (a live poke, a nudge from another tab). Ignored unless running. */
  requestPull(): void {
    this.#loops.pull?.request();
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
    if (online === this.#online && !(online && this.#failures.size > 0)) return;
    this.#online = online;
    if (online) {
      this.#failures.delete('push');
      this.#failures.delete('pull');
      this.#loops.push?.resume();
      this.#loops.pull?.resume();
    } else {
      this.#loops.push?.pause();
      this.#loops.pull?.pause();
    }
    this.#emitStatus();
  }

  // ---- status and events ----

  /** The current status. */
  status(): SyncStatus {
    const base = {
      running: this.#lifecycle === 'running',
      pending: this.#pending,
      lastSyncedAt: this.#lastSyncedAt,
    };
    if (this.#lifecycle === 'stopped') return { state: 'idle', ...base };
    if (!this.#online) return { state: 'disconnected', ...base };
    if (this.#inFlight > 0) return { state: 'syncing', ...base };
    const failure = [...this.#failures.values()].at(-1);
    if (failure === undefined) return { state: 'idle', ...base };
    return {
      state: DISCONNECTED_CODES.has(failure.error.code) ? 'disconnected' : 'error',
      ...base,
      error: failure.error,
      ...(failure.retry === undefined ? {} : { retry: failure.retry }),
    };
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends SyncEventName>(event: K, listener: (payload: SyncEventMap[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  // ---- runs ----

  #makeLoop(kind: 'push' | 'pull', intervalMs: number, run: () => Promise<void>): SyncLoop {
    return new SyncLoop(
      {
        runCycle: run,
        onSuccess: () => undefined, // the run cleared the failure and reported status
        onFailure: (error, retry) => {
          if (isSyncError(error, ErrorCode.SHUTDOWN)) return;
          this.#recordFailure(kind, error, retry);
        },
      },
      { intervalMs, retry: this.config.retry, timers: this.#timers },
    );
  }

  #pushRun(): Promise<void> {
    return this.#exclusive('push', async (ctx) => {
      if (this.config.direction === 'push-only') {
        await pushPending(ctx);
      } else {
        // Refused changes are settled by the server's records, which the pull brings:
        // pulled in this run, so the replica holds them when the conflict events fire.
        // A failed pull is the pull loop's to retry and report.
        await pushThenPull(ctx, { when: 'after-conflicts', onFailure: () => this.requestPull() });
      }
      await this.#countPending();
    });
  }

  #pullRun(): Promise<void> {
    return this.#exclusive('pull', async (ctx) => {
      await pullUntilCaughtUp(ctx);
    });
  }

  /**
   * Runs `body` alone (after every run queued before it), handshaking first if there
   * is no session yet (or always, for `start()`), with status kept: `syncing` while it
   * runs, `lastSyncedAt` and the failure cleared on success. A manual run's failure is
   * recorded here; a loop's by the loop, which knows the retry schedule.
   */
  #exclusive<T>(
    kind: RunKind,
    body: (ctx: SyncContext) => Promise<T>,
    options: { handshake: 'if-needed' | 'always' } = { handshake: 'if-needed' },
  ): Promise<T> {
    const run = this.#queue.then(async () => {
      if (this.#lifecycle === 'stopped') throw this.#shutdownError(kind);
      this.#inFlight += 1;
      this.#emitStatus();
      try {
        if (this.#session === undefined || options.handshake === 'always') {
          this.#session = await handshake(this.#transport, this.#store.instanceId);
        }
        const result = await body(this.#context(this.#session));
        this.#lastSyncedAt = this.#now();
        // A manual run's failure is a one-off: any later success makes it stale.
        this.#failures.delete(kind);
        this.#failures.delete('manual');
        this.#inFlight -= 1;
        this.#emitStatus();
        return result;
      } catch (error) {
        const failure = SyncError.from(error);
        this.#inFlight -= 1;
        if (kind === 'manual') {
          if (failure.code !== ErrorCode.SHUTDOWN) this.#recordFailure('manual', failure, undefined);
          this.#emitStatus();
        }
        // A loop's failure is reported by the loop (`onFailure`), which knows the retry
        // schedule; emitting here would show the previous attempt's schedule for a moment.
        throw failure;
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #context(session: SyncSession): SyncContext {
    return {
      store: this.#store,
      transport: this.#transport,
      config: this.config,
      peer: peerKey(session.serverId, this.config.collectives),
      checkpoint: () => {
        if (this.#lifecycle === 'stopped') throw this.#shutdownError('sync');
      },
      onConflict: (conflict) => this.#events.emit('conflict', conflict),
      onError: (error) => this.#events.emit('error', error),
    };
  }

  #recordFailure(kind: RunKind, error: SyncError, retry: RetryState | undefined): void {
    this.#failures.delete(kind); // re-insert: the latest failure is the one status shows
    this.#failures.set(kind, retry === undefined ? { error: error.toJSON() } : { error: error.toJSON(), retry });
    this.#events.emit('error', error.toJSON());
    this.#emitStatus();
  }

  #shutdownError(what: string): SyncError {
    return new SyncError(ErrorCode.SHUTDOWN, `SyncManager.${what}: sync has been stopped; create a new SyncManager to sync again`);
  }

  /** Re-counts pending changes before a run reports its end, so the status it emits is exact. */
  async #countPending(): Promise<void> {
    try {
      this.#pending = await this.#store.pendingCount();
    } catch {
      // A closed store: the next run reports it.
    }
  }

  /**
   * Re-counts pending changes in the background after a local write. One count at a
   * time: writes made while one runs ask for one more after it, so a burst of a
   * thousand puts costs a handful of counts, not a thousand.
   */
  #refreshPending(): void {
    if (this.#counting) {
      this.#countAgain = true;
      return;
    }
    this.#counting = true;
    this.#store
      .pendingCount()
      .then(
        (count) => {
          if (count === this.#pending) return;
          this.#pending = count;
          this.#emitStatus();
        },
        () => undefined, // a closed store: the next run reports it
      )
      .finally(() => {
        this.#counting = false;
        if (this.#countAgain) {
          this.#countAgain = false;
          this.#refreshPending();
        }
      });
  }

  #emitStatus(): void {
    const status = this.status();
    const serialised = JSON.stringify(status);
    if (serialised === this.#lastStatus) return;
    this.#lastStatus = serialised;
    this.#events.emit('status', status);
  }
}
