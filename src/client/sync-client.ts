/**
 * The main-thread client: a thin facade over the sync worker, reached through Comlink.
 * The page never runs the sync loop; it sends calls, receives events, and gets
 * failures back as SyncErrors with their `code`.
 */
import * as Comlink from 'comlink';
import { EventEmitter } from '../events/event-emitter.ts';
import type { SyncEngine, SyncEventMap, SyncEventName } from '../engine/types.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId, JsonValue, SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { RecordEntry, RecordInput } from '../store/types.ts';
import { workerEventOf, type RecordCalls, type SyncWorkerApi, type WorkerEvent, type WorkerSyncConfig } from '../worker-api/sync-worker-api.ts';
import { SDK_VERSION } from '../worker-api/version.ts';

/** Options of {@link createSyncClient}. */
export interface SyncClientOptions {
  /** Replica (IndexedDB database) name. Tabs using the same name share data and sync once. */
  readonly name: string;
  /** Base URL of the sync server, e.g. `https://api.example.com` (routes are `${url}/sync/...`). */
  readonly url: string;
  /** A fixed bearer token. */
  readonly token?: string;
  /**
   * Returns a bearer token; called (in this thread) when the worker needs one, and again
   * after a 401. Takes precedence over `token`.
   */
  readonly getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Engine configuration (everything but a resolver: give that to your own worker). */
  readonly config?: WorkerSyncConfig;
  /**
   * The worker to use (your own module calling `exposeSyncWorker`), or any Comlink
   * endpoint (a MessagePort in tests). Default: pulsesync's worker, bundled by Vite.
   */
  readonly worker?: Worker | Comlink.Endpoint;
  /** Ask the browser to keep this origin's storage under pressure (`navigator.storage.persist()`). */
  readonly persist?: boolean;
}

/**
 * The app's handle on sync: local data calls (answered from IndexedDB, offline too),
 * the lifecycle of PulseDB's SyncManager, and events. Every method fails with a
 * SyncError.
 */
export interface SyncClient extends SyncEngine, RecordCalls {
  /** Resolves once the worker is connected; rejects with why it could not (`VERSION_MISMATCH`…). */
  readonly ready: Promise<void>;
  /** The replica's id, once {@link ready}. */
  instanceId(): Promise<InstanceId>;
  /**
   * Joins the sync. The first tab of an app to start leads and runs the loop; others
   * follow (their writes are pushed by the leader) and take over when it goes away.
   * Resolves once joined; if the server cannot be reached yet the leader keeps
   * retrying and `status()` says `disconnected`. Fails for a final reason
   * (`UNAUTHORIZED`, `PROTOCOL_VERSION`, `HANDSHAKE_REJECTED`, …).
   */
  start(): Promise<void>;
  /**
   * The status every tab shows: the leader's state (`idle` once no tab leads, e.g. after
   * the leader tab closed or crashed), with `pending` counted from the shared replica in
   * this tab, whether it leads or not.
   */
  status(): SyncStatus;
  /**
   * Listens to `status`, `progress`, `change`, `conflict` or `error`; returns the
   * unsubscribe.
   *
   * `change` comes once per committed transaction, in every tab of the app: a local
   * write in any tab, or a pulled batch. It carries the written values, so its cost
   * grows with the write: a `putMany` of 10,000 records of ~200 bytes is ONE event of
   * 10,000 entries (~2.5 MB) to every open tab's page — measured in headless Chromium,
   * ~20 ms to clone in the worker and ~25 ms from worker post to page receipt, per tab.
   * That is small beside the write itself (IndexedDB takes ~0.5–1 s for it), but an app
   * that writes in bulk may prefer to re-read what it shows rather than copy
   * `event.changes` into its state record by record.
   */
  on<K extends SyncEventName>(event: K, listener: (payload: SyncEventMap[K]) => void): () => void;
  /** Stops the worker, releases its proxies and ends the client. Safe to call twice. */
  close(): Promise<void>;
}

/** How long close() waits for the worker to stop cleanly before terminating it. */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * How long the worker may take to connect before `TIMEOUT`: starting, opening the
 * replica (which itself gives up after 5 s blocked by another tab) and answering.
 */
const CONNECT_TIMEOUT_MS = 20_000;

const INITIAL_STATUS: SyncStatus = { state: 'idle', running: false, pending: 0, lastSyncedAt: null };

/** A Worker, or a MessagePort-like endpoint. */
function endpointOf(worker: Worker | Comlink.Endpoint | undefined): Comlink.Endpoint {
  if (worker !== undefined) return worker;
  // `new URL(..., import.meta.url)` inside `new Worker()` is what Vite (and other
  // bundlers) recognise to bundle the worker as its own chunk.
  return new Worker(new URL('../../worker/default-worker.ts', import.meta.url), { type: 'module', name: 'pulsesync-worker' });
}

function rebuild(error: unknown): SyncError {
  return SyncError.from(error);
}

class WorkerSyncClient implements SyncClient {
  readonly ready: Promise<void>;
  readonly #endpoint: Comlink.Endpoint;
  readonly #remote: Comlink.Remote<SyncWorkerApi>;
  readonly #events = new EventEmitter<SyncEventMap>();
  readonly #connected: Promise<{ instanceId: InstanceId }>;
  #status: SyncStatus = INITIAL_STATUS;
  #closed: Promise<void> | undefined;
  #isConnected = false;
  /** Fails the connection before it is made (worker crashed or never answered). */
  #failConnect: (error: SyncError) => void = () => undefined;

  constructor(options: SyncClientOptions) {
    this.#endpoint = endpointOf(options.worker);
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
    const timer = setTimeout(() => {
      this.#failConnect(
        new SyncError(
          ErrorCode.TIMEOUT,
          `The sync worker did not answer within ${CONNECT_TIMEOUT_MS / 1000} s. If you pass options.worker, it must be a module calling exposeSyncWorker() from 'pulsesync/worker'.`,
        ),
      );
    }, CONNECT_TIMEOUT_MS);
    this.#connected = Promise.race([connecting, failed]).finally(() => clearTimeout(timer));
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.#connected.then(() => this.#remote.close()),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        }),
      ]);
    } catch {
      // Closing anyway: a worker that failed to connect or to stop is terminated below.
    } finally {
      clearTimeout(timer);
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
    if (event.type === 'status') this.#status = event.payload;
    // `type` and `payload` are paired by the WorkerEvent union; the emitter's generic cannot see it.
    (this.#events.emit as (type: SyncEventName, payload: WorkerEvent['payload']) => void).call(this.#events, event.type, event.payload);
  }
}

/** Asks the browser to keep this origin's storage; quietly does nothing where unsupported. */
function requestPersistence(): void {
  const storage = (globalThis.navigator as { storage?: { persist?: () => Promise<boolean> } } | undefined)?.storage;
  storage?.persist?.().catch(() => undefined);
}

/**
 * Starts sync for one replica: a worker (pulsesync's, or `options.worker`) running the
 * engine, and a client on this thread to talk to it. Returns at once; calls wait for
 * the worker to connect (see `ready`).
 *
 * @example
 * const client = createSyncClient({ name: 'notes', url: 'https://sync.example.com', token });
 * client.on('change', () => render());
 * client.on('status', (s) => showBadge(s.state));
 * await client.start();
 * await client.put('notes', 'n1', { title: 'Hello' });
 */
export function createSyncClient(options: SyncClientOptions): SyncClient {
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
