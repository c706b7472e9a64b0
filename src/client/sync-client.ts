/**
 * The main-thread client: a thin facade over the sync worker, reached over the wire
 * (`../worker-api/wire.ts`, Comlink's protocol).
 * The page never runs the sync loop; it sends calls, receives events, and gets
 * failures back as SyncErrors with their `code`.
 */
import { timersOf, type Timers } from '../engine/timers.ts';
import type { SyncEventName } from '../engine/types.ts';
import { EventEmitter } from '../events/event-emitter.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../protocol/errors.ts';
import type { InstanceId, SyncProgress, SyncStatus } from '../protocol/types.ts';
import {
  IDLE_STATUS,
  workerEventOf,
  type WorkerConnectOptions,
  type WorkerConnectResult,
  type WorkerEvent,
} from '../worker-api/sync-worker-api.ts';
import { proxied, raw, wireCaller, type WireCall, type WireEndpoint } from '../worker-api/wire.ts';
import { PASSED_CALLS, type PassedCall } from '../worker-api/passed-calls.ts';
import { SDK_VERSION } from '../worker-api/version.ts';
import { requireWorker, workerEndpoint } from './worker-endpoint.ts';
import type { CollectionsOptions } from './collection-types.ts';
import type { ClientEventMap, CollectionsClient, DefinedCollections, SyncClient, SyncClientOptions } from './types.ts';

export type { SyncClient, SyncClientOptions } from './types.ts';

/** How long close() waits for the worker to stop cleanly before terminating it. */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * How long the worker may take to connect before `TIMEOUT`: starting, opening the
 * replica (which itself gives up after 5 s blocked by another tab) and answering.
 */
const CONNECT_TIMEOUT_MS = 20_000;

/**
 * The calls of field-level records, passed as they are too: the worker that has them
 * refuses them under another policy than theirs (`worker/worker-fields.ts`).
 */
type FieldCall = 'patch' | 'explain';

// The class's static block defines them (one shape for fifteen methods).
export interface WorkerSyncClient extends Pick<SyncClient, PassedCall | FieldCall> {}

/**
 * The client; see the file comment. Collections extend it (`collections-client.ts`)
 * with their declarations at connect, their calls and their live queries' events.
 */
export class WorkerSyncClient implements SyncClient {
  static {
    for (const name of [...PASSED_CALLS, 'patch', 'explain'] as const) {
      (WorkerSyncClient.prototype as unknown as Record<string, unknown>)[name] = function (this: WorkerSyncClient, ...args: unknown[]) {
        return this.call(name, args);
      };
    }
  }

  readonly ready: Promise<void>;
  readonly #endpoint: WireEndpoint;
  readonly #remote: WireCall;
  readonly #events = new EventEmitter<ClientEventMap>();
  readonly #timers: Timers;
  readonly #connected: Promise<{ instanceId: InstanceId }>;
  /** The replica's identity: from connect, then from each `reset`. */
  #instanceId: InstanceId | undefined;
  #status: SyncStatus = IDLE_STATUS;
  #closed: Promise<void> | undefined;
  #isConnected = false;
  /** Fails the connection before it is made (worker crashed or never answered). */
  #failConnect: (error: SyncError) => void = () => undefined;

  constructor(options: SyncClientOptions, connectWith?: Pick<WorkerConnectOptions, 'collections'>) {
    this.#timers = timersOf(options.time);
    this.#endpoint = workerEndpoint(options);
    this.#remote = wireCaller(this.#endpoint);
    this.#endpoint.addEventListener('message', this.#onMessage);
    this.#endpoint.addEventListener('error', this.#onWorkerError);
    const getToken = options.getToken;
    // The token source goes as a function the worker calls back, on a port of its own.
    const transfer: Transferable[] = [];
    const tokenSource = getToken === undefined ? raw(undefined) : proxied(async () => (await getToken()) ?? undefined, transfer);
    const connect = {
      version: SDK_VERSION,
      name: options.name,
      url: options.url,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(getToken === undefined ? {} : { hasGetToken: true }),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...connectWith,
    };
    const connecting = (this.#remote('APPLY', ['connect'], [raw(connect), tokenSource], transfer) as Promise<WorkerConnectResult>)
      .then(
        (result) => {
          if (result.version !== SDK_VERSION) {
            // An old worker that does not check versions itself.
            throw new SyncError(
              ErrorCode.VERSION_MISMATCH,
              `The pulsesync worker is build ${result.version}, this page ${SDK_VERSION}: reload the page to load matching scripts`,
            );
          }
          this.#status = result.status;
          this.#instanceId ??= result.instanceId;
          this.#isConnected = true;
          return { instanceId: result.instanceId };
        },
        (error: unknown) => {
          throw SyncError.from(error);
        },
      );
    const failed = new Promise<never>((_, reject) => {
      this.#failConnect = reject;
    });
    const timer = this.#timers.setTimeout(() => {
      this.#failConnect(
        new SyncError(
          ErrorCode.TIMEOUT,
          `The sync worker did not answer within ${CONNECT_TIMEOUT_MS / 1000} s. If you pass options.worker, it must be a module calling exposeSyncWorker() from 'pulsesync/worker'.`,
        ),
      );
    }, CONNECT_TIMEOUT_MS);
    this.#connected = Promise.race([connecting, failed]).finally(() => this.#timers.clearTimeout(timer));
    this.ready = this.#connected.then(() => undefined);
    // Handled here so an app that never awaits `ready` gets no unhandled rejection;
    // awaiting it (or any call) still fails with the error.
    this.ready.catch(() => undefined);
    this.#connected.catch((error: unknown) => {
      const failure = SyncError.from(error);
      this.#events.emit('error', failure.toJSON());
    });
    if (options.persist === true) {
      // Reported after this tick, so listeners added right after createSyncClient() hear it.
      void requestPersistence().then((warning) => {
        if (warning !== undefined && this.#closed === undefined) this.#events.emit('error', warning);
      });
    }
    globalThis.addEventListener?.('online', this.#onNetworkBack);
  }

  /** Relays the page's `online` event: workers do not get it in Chromium. */
  readonly #onNetworkBack = (): void => {
    if (this.#isConnected && this.#closed === undefined) this.#remote('APPLY', ['networkBack']).catch(() => undefined);
  };

  async instanceId(): Promise<InstanceId> {
    const { instanceId } = await this.#connected;
    return this.#instanceId ?? instanceId;
  }

  /**
   * Catches up with the server in batches; `onProgress` hears every batch of this
   * replica's catch-up, whichever tab runs it.
   */
  async initialSync(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    // Events and the call's answer travel on different ports, so the last progress
    // events may come after the answer: report batches in order, ending with the final.
    let lastBatch = 0;
    const report = (progress: SyncProgress): void => {
      if (progress.batch <= lastBatch) return;
      lastBatch = progress.batch;
      onProgress?.(progress);
    };
    const off = onProgress === undefined ? undefined : this.#events.on('progress', report);
    try {
      const final = (await this.call('initialSync', [])) as SyncProgress;
      report(final);
      return final;
    } finally {
      off?.();
    }
  }

  /** The last status the worker reported (synchronous, for UIs). */
  status(): SyncStatus {
    return this.#status;
  }

  on<K extends SyncEventName>(event: K, listener: (payload: ClientEventMap[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutDown();
    return this.#closed;
  }

  async #shutDown(): Promise<void> {
    let timer: unknown;
    try {
      await Promise.race([
        this.#connected.then(() => this.#remote('APPLY', ['close'])),
        new Promise<void>((resolve) => {
          timer = this.#timers.setTimeout(resolve, CLOSE_TIMEOUT_MS);
        }),
      ]);
    } catch {
      // Closing anyway: a worker that failed to connect or to stop is terminated below.
    } finally {
      if (timer !== undefined) this.#timers.clearTimeout(timer);
    }
    globalThis.removeEventListener?.('online', this.#onNetworkBack);
    this.#endpoint.removeEventListener('message', this.#onMessage);
    this.#endpoint.removeEventListener('error', this.#onWorkerError);
    const endpoint = this.#endpoint as Partial<Worker & MessagePort>;
    if (typeof endpoint.terminate === 'function') endpoint.terminate();
    else if (typeof endpoint.close === 'function') endpoint.close();
    this.#status = { ...this.#status, state: 'idle', running: false };
  }

  /** Calls the worker's `what` with `args` once connected; a failure comes back as a SyncError (SHUTDOWN once closed). */
  protected async call(what: string, args: readonly unknown[]): Promise<unknown> {
    if (this.#closed !== undefined) {
      throw new SyncError(ErrorCode.SHUTDOWN, `${what}(): this sync client is closed; create a new one with createSyncClient()`);
    }
    await this.#connected;
    try {
      return await this.#remote('APPLY', [what], args.map(raw));
    } catch (error) {
      throw SyncError.from(error);
    }
  }

  /** The worker script failed to load, or threw outside any call. */
  readonly #onWorkerError = (event: Event): void => {
    const detail = (event as Partial<ErrorEvent>).message;
    const what = detail === undefined || detail === '' ? 'no message (a missing or stale worker script?)' : detail;
    if (!this.#isConnected) {
      this.#failConnect(new SyncError(ErrorCode.INTERNAL, `The sync worker failed to start: ${what}`));
      return;
    }
    this.#events.emit('error', { code: ErrorCode.INTERNAL, message: `The sync worker failed: ${what}` });
  };

  readonly #onMessage = (message: Event): void => {
    const event = workerEventOf((message as MessageEvent).data);
    if (event !== undefined) this.dispatch(event);
  };

  /** One event from the worker, to the client's listeners. */
  protected dispatch(event: WorkerEvent): void {
    if (this.#closed !== undefined) return;
    if (event.type === 'status') this.#status = event.payload;
    if (event.type === 'reset') this.#instanceId = event.payload.instanceId;
    // `type` and `payload` are paired by the WorkerEvent union; the emitter's generic
    // cannot see it. (`watch` events come only to collections' clients, which take them first.)
    (this.#events as { emit(type: WorkerEvent['type'], payload: WorkerEvent['payload']): void }).emit(event.type, event.payload);
  }
}

/**
 * Asks the browser to keep this origin's storage; resolves to the `NOT_PERSISTED`
 * warning when it cannot (no StorageManager, as in WebKit's automation), would not
 * (denied), or failed — never silently.
 */
async function requestPersistence(): Promise<SyncErrorData | undefined> {
  const storage = (globalThis.navigator as { storage?: { persist?: () => Promise<boolean> } } | undefined)?.storage;
  const warning = (reason: 'unsupported' | 'denied' | 'failed', why: string): SyncErrorData => ({
    code: ErrorCode.NOT_PERSISTED,
    message: `persist: true — the browser ${why}; sync goes on, but it may evict this app's data under storage pressure.`,
    details: { reason },
  });
  if (typeof storage?.persist !== 'function') return warning('unsupported', 'has no navigator.storage.persist() (no StorageManager)');
  try {
    return (await storage.persist()) ? undefined : warning('denied', 'did not grant persistent storage');
  } catch (error) {
    return warning('failed', `failed to grant persistent storage (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Starts sync for one replica: a worker (`options.worker`, or `options.workerUrl`; the
 * `pulsesync` entry adds the prebuilt one as default) running the engine, and a client
 * on this thread to talk to it. Returns at once; calls wait for
 * the worker to connect (see `ready`).
 *
 * @example
 * const client = createSyncClient({ name: 'notes', url: 'https://sync.example.com', token });
 * client.on('change', () => render());
 * client.on('status', (s) => showBadge(s.state));
 * await client.start();
 * await client.put('notes', 'n1', { title: 'Hello' });
 *
 * With `collections` (from `defineCollections`) it returns a {@link CollectionsClient}.
 */
export function createSyncClient<const C extends CollectionsOptions>(
  options: SyncClientOptions & { readonly collections: DefinedCollections<C> },
): CollectionsClient<C>;
export function createSyncClient(options: SyncClientOptions): SyncClient;
export function createSyncClient(options: SyncClientOptions): SyncClient {
  return clientOn(options, requireWorker);
}

/**
 * {@link createSyncClient} on the worker that `options` give; `check`: what else is
 * checked of them once name and url are (`pulsesync/client`: that a worker is given,
 * which the `pulsesync` entry always does, so its bundle leaves that check out).
 */
export function clientOn(options: SyncClientOptions, check?: (options: SyncClientOptions) => void): SyncClient {
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, 'createSyncClient: name must be a non-empty string (the local database name)', {
      details: { field: 'name' },
    });
  }
  if (typeof options.url !== 'string' || options.url.length === 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, 'createSyncClient: url must be the sync server base URL, e.g. "https://sync.example.com"', {
      details: { field: 'url' },
    });
  }
  check?.(options);
  // The collections' client comes with their declarations: an app that has none bundles none of it.
  return options.collections?.createClient(options) ?? new WorkerSyncClient(options);
}
