/**
 * The main-thread client: a thin facade over the sync worker, reached through Comlink.
 * The page never runs the sync loop; it sends calls, receives events, and gets
 * failures back as SyncErrors with their `code`.
 */
import * as Comlink from 'comlink';
import { timersOf, type Timers } from '../engine/timers.ts';
import type { SyncEventMap, SyncEventName } from '../engine/types.ts';
import { EventEmitter } from '../events/event-emitter.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId, JsonValue, SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { RecordEntry, RecordInput } from '../store/types.ts';
import type { CollectionDeclarations, WatchMessage, WatchTarget } from '../query/types.ts';
import { workerEventOf, type SyncWorkerApi, type WorkerEvent } from '../worker-api/sync-worker-api.ts';
import { SDK_VERSION } from '../worker-api/version.ts';
import { CollectionHandle } from './collection.ts';
import type { CollectionOf, CollectionsOptions } from './collection-types.ts';
import { checkDeclaration } from './collection-values.ts';
import { workerEndpoint } from './worker-endpoint.ts';
import type { SyncClient, SyncClientOptions } from './types.ts';

export type { SyncClient, SyncClientOptions } from './types.ts';

/** How long close() waits for the worker to stop cleanly before terminating it. */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * How long the worker may take to connect before `TIMEOUT`: starting, opening the
 * replica (which itself gives up after 5 s blocked by another tab) and answering.
 */
const CONNECT_TIMEOUT_MS = 20_000;

const INITIAL_STATUS: SyncStatus = { state: 'idle', running: false, pending: 0, lastSyncedAt: null };

function rebuild(error: unknown): SyncError {
  return SyncError.from(error);
}

/** What the worker needs of the declarations: plain data (schemas and migrations stay here). */
function declarations(collections: CollectionsOptions): CollectionDeclarations {
  const out: Record<string, CollectionDeclarations[string]> = {};
  for (const [name, { indexes, version }] of Object.entries(collections)) {
    checkDeclaration(name, collections[name] as CollectionsOptions[string]);
    out[name] = { ...(indexes === undefined ? {} : { indexes }), ...(version === undefined ? {} : { version }) };
  }
  return out;
}

class WorkerSyncClient<C extends CollectionsOptions> implements SyncClient<C> {
  readonly ready: Promise<void>;
  readonly #endpoint: Comlink.Endpoint;
  readonly #remote: Comlink.Remote<SyncWorkerApi>;
  readonly #events = new EventEmitter<SyncEventMap>();
  readonly #timers: Timers;
  readonly #connected: Promise<{ instanceId: InstanceId }>;
  #status: SyncStatus = INITIAL_STATUS;
  #closed: Promise<void> | undefined;
  #isConnected = false;
  /** Fails the connection before it is made (worker crashed or never answered). */
  #failConnect: (error: SyncError) => void = () => undefined;

  constructor(options: SyncClientOptions<C>) {
    const collections = options.collections === undefined ? undefined : declarations(options.collections);
    this.#collectionOptions = options.collections ?? {};
    this.#timers = timersOf(options.time);
    this.#endpoint = workerEndpoint(options);
    this.#remote = Comlink.wrap<SyncWorkerApi>(this.#endpoint);
    this.#endpoint.addEventListener('message', this.#onMessage);
    this.#endpoint.addEventListener('error', this.#onWorkerError);
    const getToken = options.getToken;
    const tokenSource =
      getToken === undefined ? undefined : Comlink.proxy(async () => (await getToken()) ?? undefined);
    const connecting = this.#remote
      .connect(
        {
          version: SDK_VERSION,
          name: options.name,
          url: options.url,
          ...(options.token === undefined ? {} : { token: options.token }),
          ...(getToken === undefined ? {} : { hasGetToken: true }),
          ...(options.config === undefined ? {} : { config: options.config }),
          ...(collections === undefined ? {} : { collections }),
        },
        tokenSource,
      )
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
          this.#isConnected = true;
          return { instanceId: result.instanceId };
        },
        (error: unknown) => {
          throw rebuild(error);
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
      const failure = rebuild(error);
      this.#events.emit('error', failure.toJSON());
    });
    if (options.persist === true) requestPersistence();
    globalThis.addEventListener?.('online', this.#onNetworkBack);
  }

  // ---- collections ----

  readonly #collectionOptions: CollectionsOptions;
  readonly #collections = new Map<string, CollectionHandle<unknown, unknown>>();
  readonly #watchers = new Map<number, (message: WatchMessage) => void>();
  #lastWatch = 0;

  collection<K extends keyof C & string>(name: K): CollectionOf<C[K]> {
    let handle = this.#collections.get(name);
    if (handle === undefined) {
      const options = Object.hasOwn(this.#collectionOptions, name) ? this.#collectionOptions[name] : undefined;
      if (options === undefined) {
        throw new SyncError(ErrorCode.INVALID_CONFIG, `collection("${name}"): not declared; add it to createSyncClient({ collections: { ${name}: { … } } })`, {
          details: { field: 'collections' },
        });
      }
      handle = new CollectionHandle(name, options, { call: (what, call) => this.#call(what, call), watch: (target, listener) => this.#watch(target, listener) });
      this.#collections.set(name, handle);
    }
    return handle as unknown as CollectionOf<C[K]>;
  }

  /** Starts a live query in the worker; its messages go to `listener` until unsubscribed. */
  #watch(target: WatchTarget, listener: (message: WatchMessage) => void): () => void {
    const id = ++this.#lastWatch;
    this.#watchers.set(id, listener);
    this.#call('watch', (api) => api.watch(id, target)).catch((error: unknown) => {
      if (this.#watchers.get(id) === listener) listener({ id, error: rebuild(error).toJSON() });
    });
    return () => {
      if (this.#watchers.delete(id) && this.#closed === undefined) this.#call('unwatch', (api) => api.unwatch(id)).catch(() => undefined);
    };
  }

  /** Relays the page's `online` event: workers do not get it in Chromium. */
  readonly #onNetworkBack = (): void => {
    if (this.#isConnected && this.#closed === undefined) this.#remote.networkBack().catch(() => undefined);
  };

  async instanceId(): Promise<InstanceId> {
    return (await this.#connected).instanceId;
  }

  put(collective: string, id: string, value: JsonValue): Promise<void> {
    return this.#call('put', (api) => api.put(collective, id, value));
  }

  putMany(records: readonly RecordInput[]): Promise<void> {
    return this.#call('putMany', (api) => api.putMany(records));
  }

  delete(collective: string, id: string): Promise<void> {
    return this.#call('delete', (api) => api.delete(collective, id));
  }

  get(collective: string, id: string): Promise<RecordEntry | undefined> {
    return this.#call('get', (api) => api.get(collective, id));
  }

  list(collective: string): Promise<RecordEntry[]> {
    return this.#call('list', (api) => api.list(collective));
  }

  start(): Promise<void> {
    return this.#call('start', (api) => api.start());
  }

  stop(): Promise<void> {
    return this.#call('stop', (api) => api.stop());
  }

  syncOnce(): Promise<void> {
    return this.#call('syncOnce', (api) => api.syncOnce());
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
      const final = await this.#call('initialSync', (api) => api.initialSync());
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

  on<K extends SyncEventName>(event: K, listener: (payload: SyncEventMap[K]) => void): () => void {
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
        this.#connected.then(() => this.#remote.close()),
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
    this.#remote[Comlink.releaseProxy]();
    const endpoint = this.#endpoint as Partial<Worker & MessagePort>;
    if (typeof endpoint.terminate === 'function') endpoint.terminate();
    else if (typeof endpoint.close === 'function') endpoint.close();
    this.#status = { ...this.#status, state: 'idle', running: false };
  }

  async #call<T>(what: string, call: (api: Comlink.Remote<SyncWorkerApi>) => Promise<T>): Promise<T> {
    if (this.#closed !== undefined) {
      throw new SyncError(ErrorCode.SHUTDOWN, `${what}(): this sync client is closed; create a new one with createSyncClient()`);
    }
    await this.#connected;
    try {
      return await call(this.#remote);
    } catch (error) {
      throw rebuild(error);
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
    if (event !== undefined) this.#dispatch(event);
  };

  #dispatch(event: WorkerEvent): void {
    if (this.#closed !== undefined) return;
    if (event.type === 'watch') {
      this.#watchers.get(event.payload.id)?.(event.payload);
      return;
    }
    if (event.type === 'status') this.#status = event.payload;
    // `type` and `payload` are paired by the WorkerEvent union; the emitter's generic cannot see it.
    (this.#events.emit as (type: SyncEventName, payload: WorkerEvent['payload']) => void).call(this.#events, event.type as SyncEventName, event.payload);
  }
}

/** Asks the browser to keep this origin's storage; quietly does nothing where unsupported. */
function requestPersistence(): void {
  const storage = (globalThis.navigator as { storage?: { persist?: () => Promise<boolean> } } | undefined)?.storage;
  storage?.persist?.().catch(() => undefined);
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
 */
export function createSyncClient<const C extends CollectionsOptions = CollectionsOptions>(options: SyncClientOptions<C>): SyncClient<C> {
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
  return new WorkerSyncClient(options);
}
